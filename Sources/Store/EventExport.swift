import Postgres

/// The event log in logical order, for `export`: streamed through a server-side cursor from one
/// snapshot, so memory stays flat however many events there are.
public enum EventExport {
    public struct Filter: Sendable {
        public var project: String?
        public var subscription: String?
        /// Envelope time at or after.
        public var since: PostgresTimestamp?
        /// Envelope time before.
        public var until: PostgresTimestamp?

        public init(project: String? = nil, subscription: String? = nil, since: PostgresTimestamp? = nil, until: PostgresTimestamp? = nil) {
            self.project = project
            self.subscription = subscription
            self.since = since
            self.until = until
        }
    }

    /// Calls `emit` with each batch of raw bodies, in (time, id) order. Pages by (time, id) inside
    /// one read-only, repeatable-read transaction: a consistent snapshot, each page an index range.
    public static func stream(_ filter: Filter, batchSize: Int = 2_000, on connection: isolated PostgresConnection,
                              emit: ([String]) throws -> Void) throws {
        var conditions: [String] = []
        var binds: [any PostgresEncodable] = []
        func add(_ condition: String, _ value: (any PostgresEncodable)?) {
            guard let value else { return }
            binds.append(value)
            conditions.append(condition.replacingOccurrences(of: "$?", with: "$\(binds.count)"))
        }
        add("project = $?", filter.project)
        add("subscription = $?", filter.subscription)
        add("time >= $?", filter.since)
        add("time < $?", filter.until)
        let after = "(time, id) > ($\(binds.count + 1), $\(binds.count + 2))"
        let first = "SELECT time, id, body FROM events \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))"
            + " ORDER BY time, id LIMIT \(batchSize)"
        let next = "SELECT time, id, body FROM events WHERE \((conditions + [after]).joined(separator: " AND "))"
            + " ORDER BY time, id LIMIT \(batchSize)"
        try connection.simpleQuery("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            var rows = try connection.query(first, binds)
            while !rows.isEmpty {
                var bodies: [String] = []
                bodies.reserveCapacity(rows.count)
                var last: (PostgresTimestamp, String)?
                for row in rows {
                    let (time, id, body) = try row.decode((PostgresTimestamp, String, String).self)
                    bodies.append(body)
                    last = (time, id)
                }
                try emit(bodies)
                guard rows.count == batchSize, let (time, id) = last else { break }
                rows = try connection.query(next, binds + [time, id])
            }
            try connection.simpleQuery("COMMIT")
        } catch {
            connection.rollbackIfOpen()
            throw error
        }
    }
}
