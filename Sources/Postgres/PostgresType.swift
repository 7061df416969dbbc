/// A PostgreSQL type OID. Only the types this project binds or reads are named.
public struct PostgresType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Lets the server infer the type from the statement.
    public static let unspecified = PostgresType(rawValue: 0)
    public static let bool = PostgresType(rawValue: 16)
    public static let bytea = PostgresType(rawValue: 17)
    public static let name = PostgresType(rawValue: 19)
    public static let int8 = PostgresType(rawValue: 20)
    public static let int2 = PostgresType(rawValue: 21)
    public static let int4 = PostgresType(rawValue: 23)
    public static let text = PostgresType(rawValue: 25)
    public static let json = PostgresType(rawValue: 114)
    public static let float4 = PostgresType(rawValue: 700)
    public static let float8 = PostgresType(rawValue: 701)
    public static let bpchar = PostgresType(rawValue: 1042)
    public static let varchar = PostgresType(rawValue: 1043)
    public static let timestamp = PostgresType(rawValue: 1114)
    public static let timestamptz = PostgresType(rawValue: 1184)
    public static let jsonb = PostgresType(rawValue: 3802)
    public static let boolArray = PostgresType(rawValue: 1000)
    public static let int4Array = PostgresType(rawValue: 1007)
    public static let textArray = PostgresType(rawValue: 1009)
    public static let int8Array = PostgresType(rawValue: 1016)
    public static let timestamptzArray = PostgresType(rawValue: 1185)
    public static let jsonbArray = PostgresType(rawValue: 3807)

    /// The array type whose elements are of this type, for the types we bind as arrays.
    var arrayType: PostgresType? {
        switch self {
        case .bool: return .boolArray
        case .int4: return .int4Array
        case .text, .varchar: return .textArray
        case .int8: return .int8Array
        case .timestamptz: return .timestamptzArray
        case .jsonb: return .jsonbArray
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .bool: return "bool"
        case .bytea: return "bytea"
        case .name: return "name"
        case .int8: return "int8"
        case .int2: return "int2"
        case .int4: return "int4"
        case .text: return "text"
        case .json: return "json"
        case .float4: return "float4"
        case .float8: return "float8"
        case .bpchar: return "bpchar"
        case .varchar: return "varchar"
        case .timestamp: return "timestamp"
        case .timestamptz: return "timestamptz"
        case .jsonb: return "jsonb"
        default: return "oid \(rawValue)"
        }
    }
}
