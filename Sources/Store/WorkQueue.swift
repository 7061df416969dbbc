import Lifecycle
import Postgres

/// The SQL of the workers: claim due subscriptions, fold their facts with the pure core, and write
/// state, transitions and the next due time, all in the caller's one transaction.
public enum WorkQueue {
    /// What one call did.
    public struct Outcome: Sendable {
        public var claimed = 0
        public var processedEvents = 0
        public var failedEvents = 0
        public var transitions: [Transition] = []
        public var retried = 0
    }

    /// Attempts before the events of a failing subscription are marked `failed`.
    public static let maxAttempts = 8

    /// Claims up to `limit` due work rows (`FOR UPDATE SKIP LOCKED`, oldest due first) and
    /// processes each subscription under its own savepoint, so one failing subscription is retried
    /// later with backoff while the others commit. Run inside a transaction.
    public static func processDue(limit: Int, on connection: isolated PostgresConnection) throws -> Outcome {
        let now = try connection.query("SELECT now()")[0].decode(PostgresTimestamp.self, column: 0)
        let claimed = try connection.query("""
            SELECT project, subscription, attempts FROM work
            WHERE due_at <= now() ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED
            """, [limit]).map { row in
                let (project, subscription, attempts) = try row.decode((String, String, Int).self)
                return (WorkKey(project: project, subscription: subscription), attempts)
            }
        var outcome = Outcome()
        outcome.claimed = claimed.count
        for (key, attempts) in claimed {
            try connection.simpleQuery("SAVEPOINT subscription")
            do {
                let result = try process(key, now: Instant(now), on: connection)
                try connection.simpleQuery("RELEASE SAVEPOINT subscription")
                outcome.processedEvents += result.processedEvents
                outcome.failedEvents += result.failedEvents
                outcome.transitions += result.transitions
            } catch {
                try connection.simpleQuery("ROLLBACK TO SAVEPOINT subscription")
                try scheduleRetry(key, attempts: attempts + 1, error: "\(error)", on: connection)
                outcome.retried += 1
            }
        }
        return outcome
    }

    /// The earliest `due_at` of any work row and the database's clock, to sleep until it.
    public static func nextDue(on connection: isolated PostgresConnection) throws -> (next: PostgresTimestamp?, now: PostgresTimestamp) {
        try connection.query("SELECT min(due_at), now() FROM work")[0].decode((PostgresTimestamp?, PostgresTimestamp).self)
    }

    struct Processed {
        var processedEvents = 0
        var failedEvents = 0
        var transitions: [Transition] = []
    }

    /// One subscription: all its facts folded as of `now` (the transaction's time, the same
    /// clock for every worker), state and new transitions written, events marked, timer set.
    static func process(_ key: WorkKey, now: Instant, on connection: isolated PostgresConnection) throws -> Processed {
        var facts: [Fact] = []
        var pending: [String] = []
        var undecodable: [(id: String, error: String)] = []
        for row in try connection.query("""
            SELECT id, body, status FROM events
            WHERE project = $1 AND subscription = $2 AND status IN ('pending', 'processed')
            ORDER BY time, id
            """, [key.project, key.subscription]) {
            let (id, body, status) = try row.decode((String, String, String).self)
            do {
                if let fact = try EventDecoder.decode(Array(body.utf8)).fact { facts.append(fact) }
                if status == "pending" { pending.append(id) }
            } catch {
                // Stored events passed the same decoder at ingest; this only happens if the
                // decoder changed since. Set aside for an operator rather than blocking the rest.
                undecodable.append((id, "\(error)"))
            }
        }

        let state = Lifecycle.evaluate(facts: facts, now: now)
        let recorded = Set(try connection.query("""
            SELECT subscription_addon, kind FROM transitions WHERE project = $1 AND subscription = $2
            """, [key.project, key.subscription]).compactMap { row -> TransitionKey? in
                let (addon, kind) = try row.decode((String, String).self)
                return TransitionKind(rawValue: kind).map { TransitionKey(subscriptionAddon: addon, kind: $0) }
            })
        let transitions = Lifecycle.transitions(in: state, alreadyRecorded: recorded)

        try AddonStateStore.upsert(state.sortedAddons, project: key.project, on: connection)
        if !transitions.isEmpty {
            try connection.query("""
                INSERT INTO transitions (project, subscription_addon, subscription, kind, at, end_reason)
                SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[])
                ON CONFLICT ON CONSTRAINT transitions_once DO NOTHING
                """, [
                    key.project, transitions.map(\.subscriptionAddon), transitions.map(\.subscription),
                    transitions.map(\.kind.rawValue), transitions.map { PostgresTimestamp($0.at) }, transitions.map(\.reason?.rawValue),
                ])
        }
        if !pending.isEmpty {
            try connection.query("""
                UPDATE events SET status = 'processed', processed_at = now(), attempts = attempts + 1, last_error = NULL
                WHERE id = ANY($1::text[])
                """, [pending])
        }
        if !undecodable.isEmpty {
            try connection.query("""
                UPDATE events SET status = 'failed', attempts = attempts + 1, last_error = batch.error
                FROM unnest($1::text[], $2::text[]) AS batch(id, error) WHERE events.id = batch.id
                """, [undecodable.map(\.id), undecodable.map(\.error)])
        }
        if let next = state.nextDueAt {
            try connection.query("""
                UPDATE work SET due_at = $3, attempts = 0, last_error = NULL WHERE project = $1 AND subscription = $2
                """, [key.project, key.subscription, PostgresTimestamp(next)])
        } else {
            try connection.query("DELETE FROM work WHERE project = $1 AND subscription = $2", [key.project, key.subscription])
        }
        return Processed(processedEvents: pending.count, failedEvents: undecodable.count, transitions: transitions)
    }

    /// Capped exponential backoff with jitter; after `maxAttempts` the subscription's pending events
    /// become `failed` (operators retry them) and its work row goes, so it stops consuming workers.
    static func scheduleRetry(_ key: WorkKey, attempts: Int, error: String, on connection: isolated PostgresConnection) throws {
        if attempts >= maxAttempts {
            try connection.query("""
                UPDATE events SET status = 'failed', attempts = attempts + 1, last_error = $3
                WHERE project = $1 AND subscription = $2 AND status = 'pending'
                """, [key.project, key.subscription, error])
            try connection.query("DELETE FROM work WHERE project = $1 AND subscription = $2", [key.project, key.subscription])
            return
        }
        let base = min(300.0, 0.5 * Double(1 << min(attempts, 20)))
        let delay = base * Double.random(in: 0.5...1.0)
        try connection.query("""
            UPDATE work SET attempts = $3, last_error = $4, due_at = now() + make_interval(secs => $5)
            WHERE project = $1 AND subscription = $2
            """, [key.project, key.subscription, attempts, error, delay])
    }
}
