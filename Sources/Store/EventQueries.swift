import Lifecycle
import EventFormat
import Postgres

/// The operator's view of stored events (`GET /events…`).
public enum EventQueries {
    static let columns = "id, seq, type, status, received_at, processed_at, attempts, last_error"

    /// SPEC §4 `eventRecord`, or nil for an unknown id.
    public static func get(id: String, on connection: isolated PostgresConnection) throws -> JSONValue? {
        try connection.query("SELECT \(columns) FROM events WHERE id = $1", [id]).first.map(record)
    }

    /// Failed events, newest first (by arrival). Only `failed` is listed: it has a small partial
    /// index, while a listing of every processed event would cost ingest an index on all of them.
    public static func listFailed(page: PageRequest, on connection: isolated PostgresConnection) throws -> Page<JSONValue> {
        let keyset = Keyset(select: columns, table: "events", conditions: ["status = 'failed'"], binds: [], cursorScope: 0)
        return try keyset.page(page, on: connection, decode: record)
    }

    static func record(_ row: PostgresRow) throws -> JSONValue {
        let (id, _, type, status, received, processed, attempts, lastError) =
            try row.decode((String, Int64, String, String, PostgresTimestamp, PostgresTimestamp?, Int64, String?).self)
        return [
            "object": "eventRecord",
            "id": .string(id),
            "type": .string(type),
            "status": .string(status),
            "receivedAt": .string(Instant(received).rfc3339),
            "processedAt": processed.map { .string(Instant($0).rfc3339) } ?? .null,
            "attempts": .int(Int(attempts)),
            "lastError": lastError.map(JSONValue.string) ?? .null,
        ]
    }
}
