import Postgres

/// The SQL of the inbox: storing a batch of webhooks and scheduling their subscriptions.
public enum EventInbox {
    /// The channel workers LISTEN on; a NOTIFY is a hint that work is due.
    public static let workChannel = "addon_lifecycle_work"

    /// Inserts the batch in one statement (run it inside a transaction) and returns the ids that
    /// were new. Ids already stored, or repeated within the batch, are duplicates: nothing changes
    /// for them. Every subscription with a new event gets its work row made due now, and workers
    /// are notified once, on commit.
    public static func insert(_ records: [InboxRecord], on connection: isolated PostgresConnection) throws(PostgresError) -> Set<String> {
        guard !records.isEmpty else { return [] }
        let inserted = try connection.query("""
            INSERT INTO events (id, type, project, subscription, time, body, headers, status)
            SELECT id, type, project, subscription, time, body, headers,
                   CASE WHEN ignored THEN 'ignored' ELSE 'pending' END
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::jsonb[], $8::bool[])
                 AS batch(id, type, project, subscription, time, body, headers, ignored)
            ON CONFLICT (id) DO NOTHING
            RETURNING id
            """, [
                records.map(\.id), records.map(\.type), records.map(\.project), records.map(\.subscription),
                records.map(\.time), records.map(\.body), records.map(\.headers), records.map(\.ignored),
            ])
        var newIDs = Set<String>()
        for row in inserted { newIDs.insert(try row.decode(String.self, column: 0)) }

        // One work row per subscription, in a fixed order so concurrent batches lock rows in the
        // same order and cannot deadlock.
        var keys = Set<WorkKey>()
        for record in records where !record.ignored && newIDs.contains(record.id) {
            if let subscription = record.subscription { keys.insert(WorkKey(project: record.project, subscription: subscription)) }
        }
        guard !keys.isEmpty else { return newIDs }
        let sorted = keys.sorted()
        try connection.query("""
            INSERT INTO work (project, subscription, due_at)
            SELECT project, subscription, now() FROM unnest($1::text[], $2::text[]) AS batch(project, subscription)
            ON CONFLICT (project, subscription) DO UPDATE SET due_at = least(work.due_at, excluded.due_at)
            """, [sorted.map(\.project), sorted.map(\.subscription)])
        try connection.query("SELECT pg_notify($1, '')", [workChannel])
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
