import Lifecycle
/// Reads typed fields out of one JSON object of a scanned document and turns every problem into
/// a 422 `DecodingFailure.invalid` naming the full JSON path. Values are tape node indices and
/// become Strings only when a field is read. The path is kept in pieces (parent path, own key,
/// array index) and joined only when a failure is thrown, so the happy path builds no path
/// strings beyond the short parents of nested objects.
struct FieldReader {
    let tape: JSONTape
    /// The object's node.
    let object: Int
    /// Path of the enclosing object ("" when this is the envelope or a direct child of it).
    private let parentPath: String
    /// This object's key in its parent (nil for the envelope).
    private let key: StaticString?
    /// Index in the array at `key`, when this object is an array element.
    private let index: Int?

    /// The envelope.
    init(tape: JSONTape, object: Int) {
        self.init(tape: tape, object: object, parentPath: "", key: nil, index: nil)
    }

    private init(tape: JSONTape, object: Int, parentPath: String, key: StaticString?, index: Int?) {
        self.tape = tape
        self.object = object
        self.parentPath = parentPath
        self.key = key
        self.index = index
    }

    /// Path of this object ("" for the envelope, "data.addon", "data.lineItems[2]").
    var path: String {
        guard let key else { return parentPath }
        var p = parentPath.isEmpty ? key.description : parentPath + "." + key.description
        if let index { p += "[\(index)]" }
        return p
    }

    func pathOf(_ key: StaticString) -> String {
        let p = path
        return p.isEmpty ? key.description : p + "." + key.description
    }

    /// Reader for the object node `node` found at `key`, or at `key[index]`.
    func child(_ key: StaticString, index: Int? = nil, object node: Int) -> FieldReader {
        FieldReader(tape: tape, object: node, parentPath: path, key: key, index: index)
    }

    /// Present (possibly null) member's node, or nil when the key is absent.
    func optional(_ key: StaticString) -> Int? {
        tape.member(key, in: object)
    }

    func required(_ key: StaticString) throws(DecodingFailure) -> Int {
        guard let value = optional(key) else {
            let field = pathOf(key)
            throw .invalid(
                field: field, code: DecodingFailure.Code.missingField,
                message: "\(field) is required.",
                hint: "Add \(field) to the event.")
        }
        return value
    }

    func object(_ key: StaticString) throws(DecodingFailure) -> FieldReader {
        let value = try required(key)
        guard tape.kind(value) == .object else {
            throw wrongType(pathOf(key), expected: "an object", got: value)
        }
        return child(key, object: value)
    }

    /// An object or null; a missing key is still an error (the field is required, null is a value).
    func nullableObject(_ key: StaticString) throws(DecodingFailure) -> FieldReader? {
        let value = try required(key)
        switch tape.kind(value) {
        case .null: return nil
        case .object: return child(key, object: value)
        default: throw wrongType(pathOf(key), expected: "an object or null", got: value)
        }
    }

    func string(_ key: StaticString) throws(DecodingFailure) -> String {
        try tape.string(stringNode(key))
    }

    /// The node of the string at `key`.
    func stringNode(_ key: StaticString) throws(DecodingFailure) -> Int {
        let value = try required(key)
        guard tape.kind(value) == .string else {
            throw wrongType(pathOf(key), expected: "a string", got: value)
        }
        return value
    }

    /// Optional informational strings never cause a rejection: a wrong type is just dropped.
    func optionalString(_ key: StaticString) -> String? {
        guard let value = optional(key), tape.kind(value) == .string else { return nil }
        return tape.string(value)
    }

    /// See `FieldReader.checkIdentifier`.
    func identifier(_ key: StaticString) throws(DecodingFailure) -> String {
        let node = try stringNode(key)
        let s = tape.string(node)
        // Unescaped content is the value's UTF-8 as it stands: checked there, not through the String.
        if tape.nodes[node].hasEscapes {
            try FieldReader.checkIdentifier(s.utf8, field: pathOf(key))
        } else if !FieldReader.isPrintableASCII(tape.span(node)) {
            // Names the problem the quick test found.
            try FieldReader.checkIdentifier(tape.span(node), field: pathOf(key))
        }
        return s
    }

    func instant(_ key: StaticString) throws(DecodingFailure) -> Instant {
        let node = try stringNode(key)
        // An escaped timestamp is read from its value; a plain one straight from the bytes.
        let parsed = tape.nodes[node].hasEscapes
            ? Instant(rfc3339: tape.string(node)) : Instant.parseRFC3339(tape.span(node))
        guard let instant = parsed else {
            let s = tape.string(node)
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
    func integer(_ key: StaticString, in range: ClosedRange<Int64>) throws(DecodingFailure) -> Int64 {
        let value = try required(key)
        guard tape.kind(value) == .number else {
            throw wrongType(pathOf(key), expected: "an integer", got: value)
        }
        let n = tape.number(value)
        switch n.integerValue {
        case .int64(let i) where range.contains(i):
            return i
        case .notInteger:
            throw wrongType(pathOf(key), expected: "an integer", got: value)
        case .int64, .beyondInt64:
            // An integer outside the range (also beyond Int64, like 1e30) is a bad value, not a bad type.
            let field = pathOf(key)
            throw .invalid(
                field: field, code: DecodingFailure.Code.invalidValue,
                message: "\(field) is \(Echo.excerpt(n.literal)), outside \(FieldReader.describe(range)).",
                hint: "Send \(field) as an integer \(FieldReader.describe(range)).")
        }
    }

    /// The element nodes of the array at `key`.
    func array(_ key: StaticString) throws(DecodingFailure) -> JSONTape.Children {
        let value = try required(key)
        guard tape.kind(value) == .array else {
            throw wrongType(pathOf(key), expected: "an array", got: value)
        }
        return tape.children(value)
    }

    func country(_ key: StaticString) throws(DecodingFailure) -> String {
        let s = try string(key)
        try FieldReader.checkCountry(s, field: pathOf(key))
        return s
    }

    func wrongType(_ field: String, expected: String, got node: Int) -> DecodingFailure {
        .invalid(
            field: field, code: DecodingFailure.Code.wrongType,
            message: "\(field) must be \(expected), got \(tape.typeName(node)).",
            hint: "Send \(field) as \(expected).")
    }

    static func describe(_ range: ClosedRange<Int64>) -> String {
        range.upperBound == .max ? ">= \(range.lowerBound)" : "in \(range.lowerBound)...\(range.upperBound)"
    }
}
