import Postgres

/// The SQL of the inbox: storing a batch of webhooks and scheduling their subscriptions.
public enum EventInbox {
    /// The channel workers LISTEN on; a NOTIFY is a hint that work is due.
    public static let workChannel = "addon_lifecycle_work"

    /// What storing a batch did.
    public struct Stored: Sendable {
        /// Ids that were new. Ids already stored, or repeated within the batch, are duplicates.
        public var newIDs: Set<String>
        /// True when some subscription was signalled: workers should be told.
        public var scheduledWork: Bool
        /// `created` events refused because their add-on belongs to another subscription: event id
        /// to the owning subscription. Nothing of theirs was stored.
        public var refused: [String: String] = [:]
    }

    /// Stores the batch. For a duplicate nothing changes. Every subscription with a new pending
    /// event gets a signal (`work_signals`): a plain insert, so the batch never waits for a worker
    /// folding one of its subscriptions (an upsert of that subscription's `work` row would lock it
    /// and wait for the worker's whole batch). A worker deletes only the signals it read before
    /// loading events, so a signal committed while it folds stays for the next fold.
    ///
    /// One statement (data-modifying CTEs), so outside a transaction it is one round trip and one
    /// durable commit: under load the round trips, not the rows, are what a batch pays for. Rows go
    /// in sorted by id (then arrival), so overlapping batches take their locks in the same order and
    /// cannot deadlock; within the batch the first arrival of
    /// an id is the one stored. The NOTIFY is left to the caller: inside this transaction it would
    /// hold PostgreSQL's database-wide notify lock across the commit and serialize batches.
    ///
    /// A `created` event of a new id first claims its add-on for its subscription
    /// (`subscription_addon_owners`): the first subscription stored names the add-on's owner, and a
    /// `created` naming it under another subscription is not stored (`Stored.refused`). Owners are
    /// claimed before events are inserted, sorted by add-on, so the lock order stays the same
    /// across batches. The no-op `DO UPDATE` returns an existing owner even when another batch
    /// committed it after this statement's snapshot.
    public static func insert(_ records: [InboxRecord], on connection: isolated PostgresConnection) throws(PostgresError) -> Stored {
        guard !records.isEmpty else { return Stored(newIDs: [], scheduledWork: false) }
        let rows = try connection.query("""
            WITH batch AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::jsonb[],
                                     $8::bool[], $9::text[])
                     WITH ORDINALITY AS b(id, type, project, subscription, time, body, headers, ignored, addon, arrival)
            ), fresh AS (
                -- The first arrival of each id not stored yet: the only rows that can be stored. A
                -- lateral probe per id: NOT EXISTS let the plan cached on a fresh, empty table be a
                -- hash anti join over a scan of all events, for every batch until the next ANALYZE.
                -- A stored row is key-share locked: that gives this transaction a commit record, so
                -- a `duplicate` answer waits for the synchronous standby like a first store does (an
                -- earlier store whose wait was cancelled is then on the standby too before anyone
                -- is told it is stored). It never waits for a worker, whose updates keep the key.
                SELECT DISTINCT ON (id) batch.* FROM batch
                LEFT JOIN LATERAL (SELECT true AS stored FROM events e WHERE e.id = batch.id LIMIT 1 FOR KEY SHARE) known ON true
                WHERE known.stored IS NULL
                ORDER BY id, arrival
            ), claimed AS (
                INSERT INTO subscription_addon_owners (project, id, subscription)
                SELECT DISTINCT ON (project, addon) project, addon, subscription FROM fresh
                WHERE addon IS NOT NULL
                ORDER BY project, addon, arrival
                ON CONFLICT (project, id) DO UPDATE SET subscription = subscription_addon_owners.subscription
                RETURNING project, id, subscription
            ), refused AS (
                SELECT fresh.id, claimed.subscription AS owner FROM fresh
                JOIN claimed ON claimed.project = fresh.project AND claimed.id = fresh.addon AND claimed.subscription <> fresh.subscription
            ), inserted AS (
                INSERT INTO events (id, type, project, subscription, time, body, headers, status)
                SELECT id, type, project, subscription, time, body, headers,
                       CASE WHEN ignored THEN 'ignored' ELSE 'pending' END
                FROM fresh WHERE NOT EXISTS (SELECT FROM refused WHERE refused.id = fresh.id)
                ORDER BY id
                ON CONFLICT (id) DO NOTHING
                RETURNING id, project, subscription, status
            ), scheduled AS (
                INSERT INTO work_signals (project, subscription)
                SELECT DISTINCT project, subscription FROM inserted
                WHERE status = 'pending' AND subscription IS NOT NULL
                RETURNING 1
            )
            SELECT id, EXISTS (SELECT FROM scheduled), NULL::text FROM inserted
            UNION ALL
            SELECT id, false, owner FROM refused
            """, [
                records.map(\.id), records.map(\.type), records.map(\.project), records.map(\.subscription),
                records.map(\.time), records.map(\.body), records.map(\.headers), records.map(\.ignored), records.map(\.subscriptionAddon),
            ])
        var stored = Stored(newIDs: [], scheduledWork: false)
        for row in rows {
            let (id, scheduled, owner) = try row.decode((String, Bool, String?).self)
            if let owner {
                stored.refused[id] = owner
            } else {
                stored.newIDs.insert(id)
                stored.scheduledWork = stored.scheduledWork || scheduled
            }
        }
        return stored
    }

    /// Whether an event with this id is stored.
    public static func contains(id: String, on connection: isolated PostgresConnection) throws(PostgresError) -> Bool {
        try !connection.query("SELECT FROM events WHERE id = $1", [id]).isEmpty
    }

    /// Tells workers that work is due. A hint: workers also poll and wake at timers.
    public static func notifyWorkers(on connection: isolated PostgresConnection) throws(PostgresError) {
        try connection.query("SELECT pg_notify($1, '')", [workChannel])
    }
}

