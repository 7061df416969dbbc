import Foundation

/// A Swift value that can be bound as a query parameter, in PostgreSQL's binary format.
///
/// Values always travel as parameters (`$1`, `$2`, …), never spliced into SQL text.
public protocol PostgresEncodable: Sendable {
    /// The type OID sent with the parameter.
    static var postgresType: PostgresType { get }
    /// The binary representation, or nil for SQL NULL.
    func postgresBinary() -> [UInt8]?
}

/// JSON text to bind or read as `jsonb`.
public struct PostgresJSONB: Hashable, Sendable {
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init(_ text: String) { self.bytes = Array(text.utf8) }
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}

extension String: PostgresEncodable {
    public static var postgresType: PostgresType { .text }
    public func postgresBinary() -> [UInt8]? { Array(utf8) }
}

extension Substring: PostgresEncodable {
    public static var postgresType: PostgresType { .text }
    public func postgresBinary() -> [UInt8]? { Array(utf8) }
}

extension Int: PostgresEncodable {
    public static var postgresType: PostgresType { .int8 }
    public func postgresBinary() -> [UInt8]? { Int64(self).postgresBinary() }
}

extension Int64: PostgresEncodable {
    public static var postgresType: PostgresType { .int8 }
    public func postgresBinary() -> [UInt8]? {
        var out = [UInt8](); out.reserveCapacity(8); out.appendBigEndian(self); return out
    }
}

extension Int32: PostgresEncodable {
    public static var postgresType: PostgresType { .int4 }
    public func postgresBinary() -> [UInt8]? {
        var out = [UInt8](); out.reserveCapacity(4); out.appendBigEndian(self); return out
    }
}

extension Int16: PostgresEncodable {
    public static var postgresType: PostgresType { .int2 }
    public func postgresBinary() -> [UInt8]? {
        var out = [UInt8](); out.reserveCapacity(2); out.appendBigEndian(self); return out
    }
}

extension Bool: PostgresEncodable {
    public static var postgresType: PostgresType { .bool }
    public func postgresBinary() -> [UInt8]? { [self ? 1 : 0] }
}

extension Double: PostgresEncodable {
    public static var postgresType: PostgresType { .float8 }
    public func postgresBinary() -> [UInt8]? {
        var out = [UInt8](); out.appendBigEndian(bitPattern); return out
    }
}

extension PostgresTimestamp: PostgresEncodable {
    public static var postgresType: PostgresType { .timestamptz }
    public func postgresBinary() -> [UInt8]? {
        (microsecondsSinceEpoch - Self.postgresEpochOffset).postgresBinary()
    }
}

extension Date: PostgresEncodable {
    public static var postgresType: PostgresType { .timestamptz }
    public func postgresBinary() -> [UInt8]? { PostgresTimestamp(self).postgresBinary() }
}

extension PostgresTimestamp {
    public init(_ date: Date) {
        self.init(microsecondsSinceEpoch: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
    }
    public var date: Date { Date(timeIntervalSince1970: Double(microsecondsSinceEpoch) / 1_000_000) }
}

extension PostgresJSONB: PostgresEncodable {
    public static var postgresType: PostgresType { .jsonb }
    /// jsonb's binary format is a version byte (1) followed by the JSON text.
    public func postgresBinary() -> [UInt8]? { [1] + bytes }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: PostgresType { Wrapped.postgresType }
    public func postgresBinary() -> [UInt8]? { self.flatMap { $0.postgresBinary() } }
}

/// One-dimensional arrays bind as PostgreSQL arrays (`unnest($1::text[])` turns a batch into rows).
extension Array: PostgresEncodable where Element: PostgresEncodable {
    public static var postgresType: PostgresType {
        Element.postgresType.arrayType ?? .unspecified
    }

    public func postgresBinary() -> [UInt8]? {
        let elements = map { $0.postgresBinary() }
        var out = [UInt8]()
        out.appendBigEndian(Int32(1))  // dimensions
        out.appendBigEndian(Int32(elements.contains(where: { $0 == nil }) ? 1 : 0))  // has nulls
        out.appendBigEndian(Element.postgresType.rawValue)
        out.appendBigEndian(Int32(count))
        out.appendBigEndian(Int32(1))  // lower bound
        for element in elements {
            if let element {
                out.appendBigEndian(Int32(element.count))
                out.append(contentsOf: element)
            } else {
                out.appendBigEndian(Int32(-1))
            }
        }
        return out
    }
}
