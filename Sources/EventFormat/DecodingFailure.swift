import Lifecycle
/// Why a webhook body was refused. `.malformed` is HTTP 400 (`type: malformed`): not JSON, nested
/// deeper than 64 levels, or not an object. `.invalid` is HTTP 422 (`type: invalid`): JSON that
/// breaks the contract of SPEC §2 (including U+0000 in a string and duplicate keys), with the JSON
/// path of the offending field (e.g. `data.addon.validity.unit`). Messages quote input only
/// through `Echo`, at most 64 bytes per quoted key or value.
public enum DecodingFailure: Error, Sendable, Hashable, CustomStringConvertible {
    case malformed(message: String)
    case invalid(field: String, code: String, message: String, hint: String)

    /// Codes used in `.invalid`.
    public enum Code: Sendable {
        public static let missingField = "missingField"
        public static let wrongType = "wrongType"
        public static let invalidTimestamp = "invalidTimestamp"
        public static let invalidCountry = "invalidCountry"
        public static let unknownActivationTrigger = "unknownActivationTrigger"
        public static let unknownValidityUnit = "unknownValidityUnit"
        public static let invalidValue = "invalidValue"
        public static let duplicateKey = "duplicateKey"
    }

    public var httpStatus: Int {
        switch self {
        case .malformed: return 400
        case .invalid: return 422
        }
    }

    /// The error object's `type`.
    public var errorType: String {
        switch self {
        case .malformed: return "malformed"
        case .invalid: return "invalid"
        }
    }

    public var code: String? {
        if case .invalid(_, let code, _, _) = self { return code }
        return nil
    }

    public var field: String? {
        if case .invalid(let field, _, _, _) = self { return field }
        return nil
    }

    public var message: String {
        switch self {
        case .malformed(let message): return message
        case .invalid(_, _, let message, _): return message
        }
    }

    public var hint: String? {
        if case .invalid(_, _, _, let hint) = self { return hint }
        return nil
    }

    /// The provider-convention error object of this failure.
    public var errorObject: JSONValue {
        .errorObject(type: errorType, code: code, message: message, hint: hint)
    }

    public var description: String {
        switch self {
        case .malformed(let message): return "malformed: \(message)"
        case .invalid(let field, let code, let message, _): return "invalid \(field) (\(code)): \(message)"
        }
    }
}

extension JSONValue {
    /// The provider-convention error object: `{"object":"error","type","code","message","hint"}`,
    /// code and hint left out when absent. Every error answer is built here.
    public static func errorObject(type: String, code: String?, message: String, hint: String?) -> JSONValue {
        var members = [JSONMember("object", .string("error")), JSONMember("type", .string(type))]
        if let code { members.append(JSONMember("code", .string(code))) }
        members.append(JSONMember("message", .string(message)))
        if let hint { members.append(JSONMember("hint", .string(hint))) }
        return .object(members)
    }
}
