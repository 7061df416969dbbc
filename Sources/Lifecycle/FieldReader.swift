/// Reads typed fields out of one JSON object and turns every problem into a 422
/// `DecodingFailure.invalid` naming the full JSON path. The path is kept in pieces (parent path,
/// own key, array index) and joined only when a failure is thrown, so the happy path builds no
/// path strings beyond the short parents of nested objects.
struct FieldReader {
    let members: [JSONMember]
    /// Path of the enclosing object ("" when this is the envelope or a direct child of it).
    private let parentPath: String
    /// This object's key in its parent (nil for the envelope).
    private let key: String?
    /// Index in the array at `key`, when this object is an array element.
    private let index: Int?

    /// The envelope.
    init(members: [JSONMember]) {
        self.init(members: members, parentPath: "", key: nil, index: nil)
    }

    private init(members: [JSONMember], parentPath: String, key: String?, index: Int?) {
        self.members = members
        self.parentPath = parentPath
        self.key = key
        self.index = index
    }

    /// Path of this object ("" for the envelope, "data.addon", "data.lineItems[2]").
    var path: String {
        guard let key else { return parentPath }
        var p = parentPath.isEmpty ? key : parentPath + "." + key
        if let index { p += "[\(index)]" }
        return p
    }

    func pathOf(_ key: String) -> String {
        let p = path
        return p.isEmpty ? key : p + "." + key
    }

    /// Reader for the object at `key` (already extracted), or at `key[index]`.
    func child(_ key: String, index: Int? = nil, members: [JSONMember]) -> FieldReader {
        FieldReader(members: members, parentPath: path, key: key, index: index)
    }

    /// Present (possibly null) member, or nil when the key is absent.
    func optional(_ key: String) -> JSONValue? {
        for member in members where member.key == key {
            return member.value
        }
        return nil
    }

    func required(_ key: String) throws(DecodingFailure) -> JSONValue {
        guard let value = optional(key) else {
            let field = pathOf(key)
            throw .invalid(
                field: field, code: DecodingFailure.Code.missingField,
                message: "\(field) is required.",
                hint: "Add \(field) to the event.")
        }
        return value
    }

    func object(_ key: String) throws(DecodingFailure) -> FieldReader {
        let value = try required(key)
        guard case .object(let members) = value else {
            throw FieldReader.wrongType(pathOf(key), expected: "an object", got: value)
        }
        return child(key, members: members)
    }

    /// An object or null; a missing key is still an error (the field is required, null is a value).
    func nullableObject(_ key: String) throws(DecodingFailure) -> FieldReader? {
        let value = try required(key)
        switch value {
        case .null: return nil
        case .object(let members): return child(key, members: members)
        default: throw FieldReader.wrongType(pathOf(key), expected: "an object or null", got: value)
        }
    }

    func string(_ key: String) throws(DecodingFailure) -> String {
        let value = try required(key)
        guard case .string(let s) = value else {
            throw FieldReader.wrongType(pathOf(key), expected: "a string", got: value)
        }
        return s
    }

    /// Optional informational strings never cause a rejection: a wrong type is just dropped.
    func optionalString(_ key: String) -> String? {
        optional(key)?.stringValue
    }

    /// See `FieldReader.checkIdentifier`.
    func identifier(_ key: String) throws(DecodingFailure) -> String {
        let s = try string(key)
        try FieldReader.checkIdentifier(s, field: pathOf(key))
        return s
    }

    func instant(_ key: String) throws(DecodingFailure) -> Instant {
        let s = try string(key)
        guard let instant = Instant(rfc3339: s) else {
            let field = pathOf(key)
            throw .invalid(
                field: field, code: DecodingFailure.Code.invalidTimestamp,
                message: "\(field) \"\(Echo.excerpt(s))\" is not an RFC 3339 timestamp.",
                hint: "Send \(field) like \"2025-12-15T10:31:00Z\" or \"2025-12-15T11:31:00.5+01:00\" (years 0001 to 9999).")
        }
        return instant
    }

    /// An integer-valued number within `range`. Integer-ness is decided exactly from the literal
    /// (`7`, `7.0`, `70e-1` count; `1e-400` does not), never through `Double`.
    func integer(_ key: String, in range: ClosedRange<Int64>) throws(DecodingFailure) -> Int64 {
        let value = try required(key)
        guard case .number(let n) = value else {
            throw FieldReader.wrongType(pathOf(key), expected: "an integer", got: value)
        }
        switch n.integerValue {
        case .int64(let i) where range.contains(i):
            return i
        case .notInteger:
            throw FieldReader.wrongType(pathOf(key), expected: "an integer", got: value)
        case .int64, .beyondInt64:
            // An integer outside the range (also beyond Int64, like 1e30) is a bad value, not a bad type.
            let field = pathOf(key)
            throw .invalid(
                field: field, code: DecodingFailure.Code.invalidValue,
                message: "\(field) is \(Echo.excerpt(n.literal)), outside \(FieldReader.describe(range)).",
                hint: "Send \(field) as an integer \(FieldReader.describe(range)).")
        }
    }

    func array(_ key: String) throws(DecodingFailure) -> [JSONValue] {
        let value = try required(key)
        guard case .array(let elements) = value else {
            throw FieldReader.wrongType(pathOf(key), expected: "an array", got: value)
        }
        return elements
    }

    func country(_ key: String) throws(DecodingFailure) -> String {
        let s = try string(key)
        try FieldReader.checkCountry(s, field: pathOf(key))
        return s
    }

    static func wrongType(_ field: String, expected: String, got value: JSONValue) -> DecodingFailure {
        .invalid(
            field: field, code: DecodingFailure.Code.wrongType,
            message: "\(field) must be \(expected), got \(value.typeName).",
            hint: "Send \(field) as \(expected).")
    }

    static func describe(_ range: ClosedRange<Int64>) -> String {
        range.upperBound == .max ? ">= \(range.lowerBound)" : "in \(range.lowerBound)...\(range.upperBound)"
    }
}
