import Postgres

/// The SQL of the inbox: storing a batch of webhooks and scheduling their subscriptions.
public enum EventInbox {
    /// The channel workers LISTEN on; a NOTIFY is a hint that work is due.
    public static let workChannel = "addon_lifecycle_work"

    /// What storing a batch did.
    public struct Stored: Sendable {
        /// Ids that were new. Ids already stored, or repeated within the batch, are duplicates.
        public var newIDs: Set<String>
        /// True when some subscription's work row was made due: workers should be told.
        public var scheduledWork: Bool
    }

    /// Stores the batch. For a duplicate nothing changes. Every subscription with a new pending
    /// event gets its work row made due now; a row that is already due is left as it is (no new
    /// row version, no NOTIFY). The conflict check locks the row first, so a worker folding that
    /// subscription right now has committed before the WHERE sees its due_at: a timer it set in
    /// the future is pulled to now, a row it deleted is inserted again.
    ///
    /// One statement (data-modifying CTEs), so outside a transaction it is one round trip and one
    /// durable commit: under load the round trips, not the rows, are what a batch pays for. Rows go
    /// in sorted by id (then arrival), and work rows sorted by subscription, so overlapping batches
    /// take their locks in the same order and cannot deadlock; within the batch the first arrival of
    /// an id is the one stored. The NOTIFY is left to the caller: inside this transaction it would
    /// hold PostgreSQL's database-wide notify lock across the commit and serialize batches.
    public static func insert(_ records: [InboxRecord], on connection: isolated PostgresConnection) throws(PostgresError) -> Stored {
        guard !records.isEmpty else { return Stored(newIDs: [], scheduledWork: false) }
        let rows = try connection.query("""
            WITH inserted AS (
                INSERT INTO events (id, type, project, subscription, time, body, headers, status)
                SELECT id, type, project, subscription, time, body, headers,
                       CASE WHEN ignored THEN 'ignored' ELSE 'pending' END
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::jsonb[], $8::bool[])
                     WITH ORDINALITY AS batch(id, type, project, subscription, time, body, headers, ignored, arrival)
                ORDER BY id, arrival
                ON CONFLICT (id) DO NOTHING
                RETURNING id, project, subscription, status
            ), scheduled AS (
                INSERT INTO work (project, subscription, due_at)
                SELECT DISTINCT project, subscription, now() FROM inserted
                WHERE status = 'pending' AND subscription IS NOT NULL
                ORDER BY project, subscription
                ON CONFLICT (project, subscription) DO UPDATE SET due_at = excluded.due_at
                    WHERE work.due_at > excluded.due_at
                RETURNING 1
            )
            SELECT id, EXISTS (SELECT FROM scheduled) FROM inserted
            """, [
                records.map(\.id), records.map(\.type), records.map(\.project), records.map(\.subscription),
                records.map(\.time), records.map(\.body), records.map(\.headers), records.map(\.ignored),
            ])
        var stored = Stored(newIDs: [], scheduledWork: false)
        for row in rows {
            let (id, scheduled) = try row.decode((String, Bool).self)
            stored.newIDs.insert(id)
            stored.scheduledWork = stored.scheduledWork || scheduled
        }
        return stored
    }

    /// Tells workers that work is due. A hint: workers also poll and wake at timers.
    public static func notifyWorkers(on connection: isolated PostgresConnection) throws(PostgresError) {
        try connection.query("SELECT pg_notify($1, '')", [workChannel])
    }
}

