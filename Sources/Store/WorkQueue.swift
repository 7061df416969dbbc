import Lifecycle
import EventFormat
import Postgres

/// The SQL of the workers: claim due subscriptions, fold their facts with the pure core, and write
/// state, transitions and the next due time, all in the caller's one transaction.
public enum WorkQueue {
    /// What one call did.
    public struct Outcome: Sendable {
        public var claimed = 0
        public var processedEvents = 0
        public var failedEvents = 0
        /// Outbox entries recorded: transitions and corrections.
        public var recorded: [OutboxEntry] = []
        /// Messages that became claimable (delivery should be told).
        public var deliverable = 0
        public var retried = 0
        /// Subscriptions past their last attempt: `isolate` each, in a transaction of its own.
        public var toIsolate: [WorkKey] = []

        mutating func add(_ processed: Processed) {
            processedEvents += processed.processedEvents
            failedEvents += processed.failedEvents
            recorded += processed.recorded
            deliverable += processed.deliverable
        }
    }

    /// Attempts before the events that make a subscription fail are found and marked `failed`.
    public static let maxAttempts = 8

    /// A claimed subscription and its retry count.
    struct Claim {
        var key: WorkKey
        var attempts: Int
    }

    /// Claims up to `limit` subscriptions that have a due timer or retry (oldest first) or a
    /// signal from ingest (oldest first), each under its advisory lock (`work_lock_key`, taken
    /// with `pg_try_advisory_xact_lock`: one held by another worker is skipped, never waited for),
    /// and processes them set-based: a handful of statements for the whole batch, not per
    /// subscription. If that fails, each subscription is retried under its own savepoint, so one
    /// failing subscription is retried later with backoff while the others commit. Run inside a
    /// transaction.
    public static func processDue(limit: Int, on connection: isolated PostgresConnection) throws -> Outcome {
        let claimed = try confirm(claim(limit: limit, on: connection), on: connection)
        var outcome = Outcome()
        outcome.claimed = claimed.count
        guard !claimed.isEmpty else { return outcome }
        // The fold's instant, taken once the subscriptions are ours: never earlier than that of a
        // fold of theirs that committed before we got the lock (now() is when this transaction
        // began, which may be earlier), so a fold never runs the clock backwards.
        let now = Instant(try connection.query("SELECT clock_timestamp()")[0].decode(PostgresTimestamp.self, column: 0))

        try connection.simpleQuery("SAVEPOINT batch")
        do {
            let result = try process(claimed.map(\.key), now: now, on: connection)
            try connection.simpleQuery("RELEASE SAVEPOINT batch")
            outcome.add(result)
            return outcome
        } catch {
            try connection.simpleQuery("ROLLBACK TO SAVEPOINT batch")
        }
        for claim in claimed {
            try connection.simpleQuery("SAVEPOINT subscription")
            do {
                let result = try process([claim.key], now: now, on: connection)
                try connection.simpleQuery("RELEASE SAVEPOINT subscription")
                outcome.add(result)
            } catch {
                try connection.simpleQuery("ROLLBACK TO SAVEPOINT subscription; RELEASE SAVEPOINT subscription")
                try scheduleRetry(claim, error: "\(error)", on: connection)
                outcome.retried += 1
                if claim.attempts + 1 >= maxAttempts { outcome.toIsolate.append(claim.key) }
            }
        }
        return outcome
    }

    /// Due timers first, then signalled subscriptions for the room left. Each inner query reads a
    /// few times more rows than it may take, so that rows of subscriptions other workers hold
    /// cannot fill the batch; the outer LIMIT stops taking locks once the batch is full, so a
    /// worker holds at most `limit` advisory locks.
    static func claim(limit: Int, on connection: isolated PostgresConnection) throws -> [Claim] {
        var claims: [Claim] = []
        var claimed = Set<WorkKey>()
        for row in try connection.query("""
            SELECT project, subscription, attempts FROM (
                SELECT project, subscription, attempts FROM work WHERE due_at <= now() ORDER BY due_at LIMIT $2
            ) w WHERE pg_try_advisory_xact_lock(work_lock_key(project, subscription)) LIMIT $1
            """, [limit, limit * 3]) {
            let (project, subscription, attempts) = try row.decode((String, String, Int).self)
            let key = WorkKey(project: project, subscription: subscription)
            claimed.insert(key)
            claims.append(Claim(key: key, attempts: attempts))
        }
        guard claims.count < limit else { return claims }
        for row in try connection.query("""
            SELECT project, subscription, attempts FROM (
                SELECT s.project, s.subscription, min(s.id) AS first,
                       coalesce((SELECT attempts FROM work w WHERE w.project = s.project AND w.subscription = s.subscription), 0) AS attempts
                FROM (SELECT id, project, subscription FROM work_signals ORDER BY id LIMIT $2) s
                GROUP BY s.project, s.subscription ORDER BY first
            ) g WHERE pg_try_advisory_xact_lock(work_lock_key(project, subscription)) LIMIT $1
            """, [limit - claims.count, limit * 10]) {
            let (project, subscription, attempts) = try row.decode((String, String, Int).self)
            let key = WorkKey(project: project, subscription: subscription)
            if claimed.insert(key).inserted { claims.append(Claim(key: key, attempts: attempts)) }
        }
        return claims
    }

    /// Now that the subscriptions are locked: deletes their signals (every one visible now was
    /// committed with its events, which the fold's later load will see; one committed after this
    /// statement stays for the next fold) and keeps only the subscriptions that still have a
    /// signal or a due timer. Another worker may have folded one between our snapshot and our
    /// lock; folding it again would be wasted work at best.
    static func confirm(_ claims: [Claim], on connection: isolated PostgresConnection) throws -> [Claim] {
        guard !claims.isEmpty else { return [] }
        let due = try Set(connection.query("""
            WITH keys AS (SELECT * FROM unnest($1::text[], $2::text[]) AS k(project, subscription)),
            consumed AS (
                DELETE FROM work_signals s USING keys k WHERE s.project = k.project AND s.subscription = k.subscription
                RETURNING s.project, s.subscription
            )
            SELECT k.project, k.subscription FROM keys k
            WHERE EXISTS (SELECT FROM consumed c WHERE c.project = k.project AND c.subscription = k.subscription)
               OR EXISTS (SELECT FROM work w WHERE w.project = k.project AND w.subscription = k.subscription AND w.due_at <= clock_timestamp())
            """, [claims.map(\.key.project), claims.map(\.key.subscription)]).map { row in
                let (project, subscription) = try row.decode((String, String).self)
                return WorkKey(project: project, subscription: subscription)
            })
        return claims.filter { due.contains($0.key) }
    }

    /// Signal ids as `string_agg` lists them.
    static func signalIDs(_ list: String) -> [Int64] {
        list.split(separator: ",").compactMap { Int64($0) }
    }

    /// Deletes signals whose events the fold has taken in (read before it loaded the events).
    static func consumeSignals(_ ids: [Int64], on connection: isolated PostgresConnection) throws {
        guard !ids.isEmpty else { return }
        try connection.query("DELETE FROM work_signals WHERE id = ANY($1::int8[])", [ids])
    }

    /// For a subscription past its last attempt, in a transaction of its own (not while holding a
    /// batch of other subscriptions' work rows): finds the pending events that make it fail and
    /// marks them `failed`, and folds the rest for real, so its other facts, state and timers go on.
    /// Nil when it was not done: another worker holds the subscription, or no event is to blame (the
    /// stored facts fail on their own, or the failure is not about data: a deadlock, a lost
    /// connection), and the subscription keeps being retried with its work row and timers.
    public static func isolate(_ key: WorkKey, on connection: isolated PostgresConnection) throws -> Outcome? {
        let row = try connection.query("""
            SELECT now(), pg_try_advisory_xact_lock(work_lock_key($1, $2)),
                   (SELECT string_agg(id::text, ',') FROM work_signals WHERE project = $1 AND subscription = $2)
            """, [key.project, key.subscription])[0]
        let (now, locked, list) = try row.decode((PostgresTimestamp, Bool, String?).self)
        let signals = signalIDs(list ?? "")
        guard locked else { return nil }
        guard let result = try isolateFailures(key, now: Instant(now), on: connection) else { return nil }
        try consumeSignals(signals, on: connection)
        var outcome = Outcome()
        outcome.claimed = 1
        outcome.add(result)
        return outcome
    }

    /// Whether a failure can be blamed on the data being folded: the database refused a value (22,
    /// 23), a trigger or rule raised (P0), or our own code refused it. Not a deadlock, a
    /// serialization failure, a lost connection or a cancelled statement: those say nothing about
    /// the event.
    static func isAboutData(_ error: any Error) -> Bool {
        guard let error = error as? PostgresError else { return true }
        guard let state = error.sqlState else { return false }
        return state.hasPrefix("22") || state.hasPrefix("23") || state.hasPrefix("P0")
    }

    /// Culprits are found by bisection over the pending events in logical order, each trial under
    /// a savepoint that is always rolled back (no state, transition or message of a trial stays).
    static func isolateFailures(_ key: WorkKey, now: Instant, on connection: isolated PostgresConnection) throws -> Processed? {
        let pending = try connection.query("""
            SELECT id FROM events WHERE project = $1 AND subscription = $2 AND status = 'pending' ORDER BY time, id
            """, [key.project, key.subscription]).map { try $0.decode(String.self, column: 0) }
        /// The failure of a fold without `excluded`, nil when it succeeds.
        func failure(excluding excluded: Set<String>) throws -> (any Error)? {
            try connection.simpleQuery("SAVEPOINT trial")
            defer { _ = try? connection.simpleQuery("ROLLBACK TO SAVEPOINT trial; RELEASE SAVEPOINT trial") }
            do {
                _ = try process([key], now: now, excluding: excluded, on: connection)
                return nil
            } catch {
                return error
            }
        }
        // The stored facts alone must fold; else no pending event is to blame.
        if try failure(excluding: Set(pending)) != nil { return nil }
        var culprits: [(id: String, error: String)] = []
        var remaining = pending[...]
        while let error = try failure(excluding: Set(culprits.map(\.id))) {
            guard isAboutData(error), !remaining.isEmpty else { return nil }
            // The shortest prefix of `remaining` that fails: its last event is the next culprit.
            var low = 1
            var high = remaining.count
            var found = error
            while low < high {
                let middle = (low + high) / 2
                let later = remaining[(remaining.startIndex + middle)...]
                if let error = try failure(excluding: Set(culprits.map(\.id) + later)) {
                    guard isAboutData(error) else { return nil }
                    high = middle
                    found = error
                } else {
                    low = middle + 1
                }
            }
            let index = remaining.startIndex + low - 1
            culprits.append((remaining[index], "\(found)"))
            remaining = remaining[(index + 1)...]
        }
        var result = try process([key], now: now, excluding: Set(culprits.map(\.id)), on: connection)
        try connection.query("""
            UPDATE events SET status = 'failed', attempts = attempts + $3, last_error = f.error
            FROM unnest($1::text[], $2::text[]) AS f(id, error) WHERE events.id = f.id
            """, [culprits.map(\.id), culprits.map(\.error), maxAttempts])
        result.failedEvents += culprits.count
        return result
    }

    /// The earliest future `due_at` (a timer), whether work is due already (a timer or a signal),
    /// and the database's clock. Work due but not claimed is held by another worker's batch: that
    /// worker goes on with it, so it is no reason to come straight back (which was a busy loop of
    /// empty claims for as long as the other batch ran).
    public static func nextDue(on connection: isolated PostgresConnection) throws -> (next: PostgresTimestamp?, dueNow: Bool, now: PostgresTimestamp) {
        try connection.query("""
            SELECT (SELECT min(due_at) FROM work WHERE due_at > now()),
                   EXISTS (SELECT FROM work WHERE due_at <= now()) OR EXISTS (SELECT FROM work_signals ORDER BY id LIMIT 1), now()
            """)[0].decode((PostgresTimestamp?, Bool, PostgresTimestamp).self)
    }

    struct Processed {
        var processedEvents = 0
        var failedEvents = 0
        var recorded: [OutboxEntry] = []
        var deliverable = 0
    }

    /// Subscriptions: all their facts folded as of `now` (the transaction's time, the same clock
    /// for every worker); state and new transitions written, events marked, timers set.
    /// `excluding`: pending events left out of the fold and left pending (`isolateFailures`).
    static func process(_ keys: [WorkKey], now: Instant, excluding: Set<String> = [],
                        on connection: isolated PostgresConnection) throws -> Processed {
        let projects = keys.map(\.project)
        let subscriptions = keys.map(\.subscription)
        var facts: [WorkKey: [Fact]] = [:]
        var pending: [String] = []
        var undecodable: [(id: String, error: String)] = []
        for row in try connection.query("""
            SELECT e.project, e.subscription, e.id, e.body, e.status
            FROM unnest($1::text[], $2::text[]) AS k(project, subscription)
            JOIN events e ON e.project = k.project AND e.subscription = k.subscription
            WHERE e.status IN ('pending', 'processed')
            ORDER BY e.project, e.subscription, e.time, e.id
            """, [projects, subscriptions]) {
            let (project, subscription, id, body, status) = try row.decode((String, String, String, String, String).self)
            if !excluding.isEmpty, excluding.contains(id) { continue }
            do {
                if let fact = try EventDecoder.decode(Array(body.utf8)).fact {
                    facts[WorkKey(project: project, subscription: subscription), default: []].append(fact)
                }
                if status == "pending" { pending.append(id) }
            } catch {
                // Stored events passed the same decoder at ingest; this only happens if the
                // decoder changed since. Set aside for an operator rather than blocking the rest.
                undecodable.append((id, "\(error)"))
            }
        }
        let recorded = try OutboxStore.recorded(keys, on: connection)
        let evaluated = keys.map { key in
            (key: key, evaluation: Lifecycle.evaluate(facts: facts[key] ?? [], now: now, recorded: recorded[key] ?? RecordedOutbox()))
        }

        try AddonStateStore.upsert(evaluated.flatMap { item in item.evaluation.state.sortedAddons.map { (item.key.project, $0) } }, on: connection)
        let outbox = try OutboxStore.record(evaluated.flatMap { item in item.evaluation.outbox.map { (item.key.project, $0) } }, on: connection)
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
        // Work rows are only written under the subscription's advisory lock: nobody waits here.
        let timed = evaluated.filter { $0.evaluation.state.nextDueAt != nil }
        if !timed.isEmpty {
            try connection.query("""
                INSERT INTO work (project, subscription, due_at)
                SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
                ON CONFLICT (project, subscription) DO UPDATE SET due_at = excluded.due_at, attempts = 0, last_error = NULL
                    WHERE (work.due_at, work.attempts, work.last_error) IS DISTINCT FROM (excluded.due_at, 0, NULL)
                """, [timed.map(\.key.project), timed.map(\.key.subscription), timed.map { PostgresTimestamp($0.evaluation.state.nextDueAt!) }])
        }
        let done = evaluated.filter { $0.evaluation.state.nextDueAt == nil }
        if !done.isEmpty {
            try connection.query("""
                DELETE FROM work USING unnest($1::text[], $2::text[]) AS d(project, subscription)
                WHERE work.project = d.project AND work.subscription = d.subscription
                """, [done.map(\.key.project), done.map(\.key.subscription)])
        }
        return Processed(processedEvents: pending.count, failedEvents: undecodable.count, recorded: outbox.recorded,
                         deliverable: outbox.deliverable)
    }

    /// Capped exponential backoff with jitter (0.5 s doubling, at most 5 min). The work row, and so
    /// the subscription's timers, always stays: past `maxAttempts` the failing events are set aside
    /// by `isolateFailures`, and a failure no event explains keeps being retried every few minutes.
    static func scheduleRetry(_ claim: Claim, error: String, on connection: isolated PostgresConnection) throws {
        let attempts = claim.attempts + 1
        let base = min(300.0, 0.5 * Double(1 << min(attempts, 20)))
        let delay = base * Double.random(in: 0.5...1.0)
        // The row holds the backoff (the claim consumed the signals that made it due now).
        try connection.query("""
            INSERT INTO work (project, subscription, due_at, attempts, last_error)
            VALUES ($1, $2, now() + make_interval(secs => $5), $3, $4)
            ON CONFLICT (project, subscription) DO UPDATE
                SET attempts = excluded.attempts, last_error = excluded.last_error, due_at = excluded.due_at
            """, [claim.key.project, claim.key.subscription, attempts, error, delay])
    }
}
