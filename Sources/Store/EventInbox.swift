import Postgres

/// The SQL of the inbox: storing a batch of webhooks and scheduling their subscriptions.
public enum EventInbox {
    /// The channel workers LISTEN on; a NOTIFY is a hint that work is due.
    public static let workChannel = "addon_lifecycle_work"

    /// Stores the batch and returns the ids that were new. Ids already stored, or repeated within
    /// the batch, are duplicates: nothing changes for them. Every subscription with a new pending
    /// event gets its work row made due now, and workers are notified.
    ///
    /// One statement (data-modifying CTEs), so outside a transaction it is one round trip and one
    /// durable commit: under load the round trips, not the rows, are what a batch pays for.
    public static func insert(_ records: [InboxRecord], on connection: isolated PostgresConnection) throws(PostgresError) -> Set<String> {
        guard !records.isEmpty else { return [] }
        let rows = try connection.query("""
            WITH inserted AS (
                INSERT INTO events (id, type, project, subscription, time, body, headers, status)
                SELECT id, type, project, subscription, time, body, headers,
                       CASE WHEN ignored THEN 'ignored' ELSE 'pending' END
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::jsonb[], $8::bool[])
                     AS batch(id, type, project, subscription, time, body, headers, ignored)
                ON CONFLICT (id) DO NOTHING
                RETURNING id, project, subscription, status
            ), scheduled AS (
                -- Sorted, so concurrent batches lock work rows in one order and cannot deadlock.
                INSERT INTO work (project, subscription, due_at)
                SELECT DISTINCT project, subscription, now() FROM inserted
                WHERE status = 'pending' AND subscription IS NOT NULL
                ORDER BY project, subscription
                ON CONFLICT (project, subscription) DO UPDATE SET due_at = least(work.due_at, excluded.due_at)
                RETURNING 1
            )
            SELECT id, (SELECT pg_notify($9, '') WHERE EXISTS (SELECT FROM scheduled)) FROM inserted
            """, [
                records.map(\.id), records.map(\.type), records.map(\.project), records.map(\.subscription),
                records.map(\.time), records.map(\.body), records.map(\.headers), records.map(\.ignored), workChannel,
            ])
        var newIDs = Set<String>()
        for row in rows { newIDs.insert(try row.decode(String.self, column: 0)) }
        return newIDs
    }
}

/// A subscription, scoped by its project: the unit of work and of serialization.
public struct WorkKey: Hashable, Comparable, Sendable {
    public var project: String
    public var subscription: String

    public init(project: String, subscription: String) {
        self.project = project
        self.subscription = subscription
    }

    public static func < (lhs: WorkKey, rhs: WorkKey) -> Bool {
        (lhs.project, lhs.subscription) < (rhs.project, rhs.subscription)
    }
}
