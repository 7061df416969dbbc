import Postgres

/// What `/metrics` reports from the database: shared by every process, so any one can report it.
public struct QueueStats: Sendable {
    /// Subscriptions whose work is due now (pending events or a timer that has fired).
    public var due: Int
    /// Seconds since the oldest due work became due; 0 when nothing is due.
    public var oldestDueAge: Double
    /// Timers and retries scheduled for later.
    public var scheduled: Int
    public var failedEvents: Int

    public static func read(on connection: isolated PostgresConnection) throws -> QueueStats {
        let row = try connection.query("""
            SELECT (SELECT count(*) FROM work WHERE due_at <= now()),
                   coalesce(extract(epoch FROM now() - (SELECT min(due_at) FROM work)), 0)::float8,
                   (SELECT count(*) FROM work WHERE due_at > now()),
                   (SELECT count(*) FROM events WHERE status = 'failed')
            """)[0]
        let (due, age, scheduled, failed) = try row.decode((Int64, Double, Int64, Int64).self)
        return QueueStats(due: Int(due), oldestDueAge: max(0, age), scheduled: Int(scheduled), failedEvents: Int(failed))
    }
}
