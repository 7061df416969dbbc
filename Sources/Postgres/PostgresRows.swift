import CLibPQ

/// Owns a `PGresult`. Immutable once returned, so reading it from any thread is safe.
final class PostgresResult: @unchecked Sendable {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { PQclear(handle) }
}

/// The rows a query returned, decoded lazily column by column.
public struct PostgresRows: RandomAccessCollection, Sendable {
    let result: PostgresResult?
    /// Column names, in order.
    public let columns: [String]
    /// Rows touched by INSERT/UPDATE/DELETE (or returned by SELECT).
    public let affectedRows: Int

    init(result: PostgresResult) {
        self.result = result
        let handle = result.handle
        columns = (0..<PQnfields(handle)).map { String(cString: PQfname(handle, $0)) }
        let tuples = String(cString: PQcmdTuples(handle))
        affectedRows = Int(tuples) ?? Int(PQntuples(handle))
    }

    init() {
        result = nil
        columns = []
        affectedRows = 0
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { result.map { Int(PQntuples($0.handle)) } ?? 0 }
    public subscript(position: Int) -> PostgresRow { PostgresRow(rows: self, index: Int32(position)) }
}

/// One row. Decode columns by position or name; errors name the column.
public struct PostgresRow: Sendable {
    let rows: PostgresRows
    let index: Int32

    public func decode<T: PostgresDecodable>(_: T.Type = T.self, column: Int) throws(PostgresError) -> T {
        guard let result = rows.result, column >= 0, column < rows.columns.count else {
            throw PostgresError(.decoding, message: "no column #\(column) in the result")
        }
        let handle = result.handle
        let name = rows.columns[column]
        if PQgetisnull(handle, index, Int32(column)) == 1 {
            guard let null = T.sqlNull else {
                throw PostgresError(.decoding, message: "column \"\(name)\" is NULL; decode it as an Optional")
            }
            return null
        }
        let type = PostgresType(rawValue: PQftype(handle, Int32(column)))
        let length = Int(PQgetlength(handle, index, Int32(column)))
        let bytes = UnsafeRawBufferPointer(start: PQgetvalue(handle, index, Int32(column)), count: length)
        do {
            return try T.decode(bytes, type: type)
        } catch {
            throw PostgresError(.decoding, message: "column \"\(name)\": \(error.message)")
        }
    }

    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, column name: String) throws(PostgresError) -> T {
        guard let position = rows.columns.firstIndex(of: name) else {
            throw PostgresError(.decoding, message: "no column \"\(name)\" in the result (have: \(rows.columns.joined(separator: ", ")))")
        }
        return try decode(type, column: position)
    }

    /// Reads the whole row as a tuple of types, in column order: `let (id, n) = try row.decode((String, Int).self)`.
    public func decode<each T: PostgresDecodable>(_: (repeat each T).Type) throws(PostgresError) -> (repeat each T) {
        var column = 0
        func next<U: PostgresDecodable>(_: U.Type) throws(PostgresError) -> U {
            defer { column += 1 }
            return try decode(U.self, column: column)
        }
        return (repeat try next((each T).self))
    }
}
