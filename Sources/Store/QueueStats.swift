import Postgres

/// What `/metrics` reports from the database: shared by every process, so any one can report it.
///
/// Every scrape must stay cheap when a million timers are scheduled. The `work` table is updated
/// constantly, so its visibility map is rarely all-visible and `count(*)` would visit a heap page per
/// row. So each count is exact up to `exactLimit` rows (a range scan that stops there), and past it
/// an estimate: the live rows PostgreSQL's statistics report for the table, split by the share of
/// due rows in a sample of about `samplePages` pages. Failed events past the limit come from the
/// partial index's own row estimate. `isEstimated` says when a figure is not exact.
public struct QueueStats: Sendable, Equatable {
    /// Subscriptions whose work is due now: signalled by ingest (new events), or a timer or retry
    /// that has fired.
    public var due: Int
    /// Seconds since the oldest due work became due; 0 when nothing is due.
    public var oldestDueAge: Double
    /// Timers and retries scheduled for later.
    public var scheduled: Int
    public var failedEvents: Int
    /// Subscriptions being retried after a failure (exact up to `exactLimit`): a subscription
    /// that no event explains stays here, its events pending, until what fails it is fixed.
    public var retrying: Int = 0
    /// True when a count reached `exactLimit` and the figures are estimates.
    public var isEstimated: Bool

    public static let exactLimit = 10_000
    static let samplePages = 100

    public init(due: Int, oldestDueAge: Double, scheduled: Int, failedEvents: Int, isEstimated: Bool = false) {
        self.due = due
        self.oldestDueAge = oldestDueAge
        self.scheduled = scheduled
        self.failedEvents = failedEvents
        self.isEstimated = isEstimated
    }

    public static func read(on connection: isolated PostgresConnection) throws -> QueueStats {
        let row = try connection.query("""
            SELECT (SELECT count(*) FROM (SELECT FROM work WHERE due_at <= now() LIMIT $1) d),
                   (SELECT count(*) FROM (SELECT FROM work_signals LIMIT $1) g),
                   (SELECT count(*) FROM (
                        SELECT project, subscription FROM (SELECT project, subscription FROM work WHERE due_at <= now() LIMIT $1) d
                        UNION SELECT project, subscription FROM (SELECT project, subscription FROM work_signals LIMIT $1) g) u),
                   greatest(extract(epoch FROM now() - (SELECT min(due_at) FROM work)),
                            extract(epoch FROM now() - (SELECT created_at FROM work_signals ORDER BY id LIMIT 1)), 0)::float8,
                   (SELECT count(*) FROM (SELECT FROM work WHERE due_at > now() LIMIT $1) s),
                   (SELECT count(*) FROM (SELECT FROM events WHERE status = 'failed' LIMIT $1) f),
                   (SELECT count(*) FROM (SELECT FROM work WHERE attempts > 0 LIMIT $1) r)
            """, [exactLimit])[0]
        let (dueRows, signals, distinct, age, scheduled, failed, retrying) = try row.decode((Int64, Int64, Int64, Double, Int64, Int64, Int64).self)
        // Due: subscriptions with a due timer or a signal from ingest, each counted once while
        // both are below the limit. Past it, signals are estimated from the table's live rows (one
        // per subscription and ingest batch: an upper bound of the subscriptions they name).
        var stats = QueueStats(due: Int(distinct), oldestDueAge: max(0, age), scheduled: Int(scheduled), failedEvents: Int(failed))
        stats.retrying = Int(retrying)
        var signalled = Int(signals)
        if signals >= exactLimit {
            let live = try connection.query("""
                SELECT coalesce((SELECT n_live_tup FROM pg_stat_user_tables WHERE relid = 'work_signals'::regclass), 0)::float8
                """)[0].decode(Double.self, column: 0)
            signalled = max(exactLimit, Int(live.rounded()))
            stats.isEstimated = true
        }
        if dueRows >= exactLimit || stats.scheduled >= exactLimit {
            stats.due = Int(dueRows)
            try stats.estimateWork(on: connection)
            stats.due += signalled
        } else if signals >= exactLimit {
            stats.due = Int(dueRows) + signalled
        }
        if stats.failedEvents >= exactLimit {
            let estimate = try connection.query("""
                SELECT coalesce((SELECT reltuples FROM pg_class WHERE oid = 'events_failed_idx'::regclass), 0)::float8
                """)[0].decode(Double.self, column: 0)
            stats.failedEvents = max(exactLimit, Int(estimate.rounded()))
            stats.isEstimated = true
        }
        return stats
    }

    /// Due and scheduled from the table's live-row count and a page sample's due share; a count
    /// still below the limit stays exact, an estimated one never drops below the limit.
    private mutating func estimateWork(on connection: isolated PostgresConnection) throws {
        let (live, pages) = try connection.query("""
            SELECT coalesce(n_live_tup, 0)::float8, greatest(pg_relation_size('work') / current_setting('block_size')::int8, 1)::float8
            FROM pg_stat_user_tables WHERE relid = 'work'::regclass
            """)[0].decode((Double, Double).self)
        let percent = min(100, 100 * Double(Self.samplePages) / pages)
        let (sampledDue, sampled) = try connection.query("""
            SELECT count(*) FILTER (WHERE due_at <= now()), count(*) FROM work TABLESAMPLE SYSTEM ($1::real)
            """, [percent])[0].decode((Int64, Int64).self)
        let total = max(live, Double(due + scheduled))
        let dueShare = sampled > 0 ? Double(sampledDue) / Double(sampled) : 0.5
        let limit = Self.exactLimit
        switch (due >= limit, scheduled >= limit) {
        case (true, true):
            due = max(limit, Int((total * dueShare).rounded()))
            scheduled = max(limit, Int(total.rounded()) - due)
        case (true, false):
            due = max(limit, Int(total.rounded()) - scheduled)
        case (false, true):
            scheduled = max(limit, Int(total.rounded()) - due)
        case (false, false):
            return
        }
        isEstimated = true
    }
}
