import Foundation

/// A Swift value that can be read from a result column in PostgreSQL's binary format.
public protocol PostgresDecodable: Sendable {
    /// Decodes a non-NULL value. Throws a message; the row adds the column name.
    static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Self
    /// The value for SQL NULL, if this type can represent it (only `Optional` can).
    static var sqlNull: Self? { get }
}

extension PostgresDecodable {
    public static var sqlNull: Self? { nil }
}

/// Why a column could not be decoded; `PostgresRow` turns it into a `PostgresError` naming the column.
public struct PostgresDecodingFailure: Error, Sendable {
    public var message: String
    init(_ message: String) { self.message = message }

    static func unsupported(_ swiftType: Any.Type, _ type: PostgresType) -> Self {
        Self("cannot decode \(type) as \(swiftType)")
    }
}

extension UnsafeRawBufferPointer {
    func bigEndian<T: FixedWidthInteger>(_: T.Type) throws(PostgresDecodingFailure) -> T {
        guard count == MemoryLayout<T>.size else {
            throw PostgresDecodingFailure("expected \(MemoryLayout<T>.size) bytes, got \(count)")
        }
        var value: T = 0
        Swift.withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: self) }
        return T(bigEndian: value)
    }
}

extension String: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> String {
        switch type {
        case .text, .varchar, .bpchar, .name, .json:
            return String(decoding: bytes, as: UTF8.self)
        case .jsonb:
            return String(decoding: bytes.dropFirst(), as: UTF8.self)
        default:
            throw .unsupported(String.self, type)
        }
    }
}

extension Int64: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Int64 {
        switch type {
        case .int8: return try bytes.bigEndian(Int64.self)
        case .int4: return Int64(try bytes.bigEndian(Int32.self))
        case .int2: return Int64(try bytes.bigEndian(Int16.self))
        default: throw .unsupported(Int64.self, type)
        }
    }
}

extension Int: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Int {
        Int(try Int64.decode(bytes, type: type))
    }
}

extension Int32: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Int32 {
        let wide = try Int64.decode(bytes, type: type)
        guard let value = Int32(exactly: wide) else { throw PostgresDecodingFailure("\(wide) does not fit Int32") }
        return value
    }
}

extension Bool: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Bool {
        guard type == .bool else { throw .unsupported(Bool.self, type) }
        guard bytes.count == 1 else { throw PostgresDecodingFailure("bool of \(bytes.count) bytes") }
        return bytes[0] != 0
    }
}

extension Double: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Double {
        switch type {
        case .float8: return Double(bitPattern: try bytes.bigEndian(UInt64.self))
        case .float4: return Double(Float(bitPattern: try bytes.bigEndian(UInt32.self)))
        default: throw .unsupported(Double.self, type)
        }
    }
}

extension PostgresTimestamp: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> PostgresTimestamp {
        guard type == .timestamptz || type == .timestamp else { throw .unsupported(PostgresTimestamp.self, type) }
        let raw = try bytes.bigEndian(Int64.self)
        // ±infinity are stored as Int64.max/min; keep them saturated instead of overflowing.
        if raw == .max || raw == .min { return PostgresTimestamp(microsecondsSinceEpoch: raw) }
        return PostgresTimestamp(microsecondsSinceEpoch: raw + postgresEpochOffset)
    }
}

extension Date: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Date {
        try PostgresTimestamp.decode(bytes, type: type).date
    }
}

extension PostgresJSONB: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> PostgresJSONB {
        switch type {
        case .jsonb:
            guard bytes.first == 1 else { throw PostgresDecodingFailure("unknown jsonb format version") }
            return PostgresJSONB(bytes: Array(bytes.dropFirst()))
        case .json, .text:
            return PostgresJSONB(bytes: Array(bytes))
        default:
            throw .unsupported(PostgresJSONB.self, type)
        }
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(_ bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Wrapped? {
        try Wrapped.decode(bytes, type: type)
    }
    public static var sqlNull: Wrapped?? { .some(nil) }
}
