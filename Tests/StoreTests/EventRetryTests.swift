import Postgres
import Store
import TestSupport
import Testing

@Suite struct EventRetryTests {
    @Test func aFailedEventBecomesPendingAndItsSubscriptionDue() async throws {
        let pool = try await TestDatabase.pool("retry")
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        let time = PostgresTimestamp(microsecondsSinceEpoch: 1_765_794_660_000_000)
        try await pool.withConnection { connection in
            for (id, status) in [("evt_failed", "failed"), ("evt_done", "processed")] {
                try connection.query("""
                    INSERT INTO events (id, type, project, subscription, time, body, status, attempts, last_error)
                    VALUES ($1, 'com.gigs.invoice.paid', 'gigs', 'sub_1', $2, '{}', $3, 8, 'boom')
                    """, [id, time, status])
            }
            try connection.query("""
                INSERT INTO work (project, subscription, due_at, attempts, last_error) VALUES ('gigs', 'sub_1', now() + interval '5 minutes', 8, 'boom')
                """)
        }
        #expect(try await pool.withTransaction { try EventRetry.retry(id: "evt_failed", on: $0) } == .retried)
        let (status, attempts, error, due) = try await pool.withConnection { connection in
            try connection.query("""
                SELECT e.status, e.attempts, e.last_error,
                       EXISTS (SELECT FROM work_signals s WHERE (s.project, s.subscription) = (e.project, e.subscription))
                       AND (SELECT attempts FROM work w WHERE (w.project, w.subscription) = (e.project, e.subscription)) = 0
                FROM events e WHERE e.id = 'evt_failed'
                """)[0].decode((String, Int, String?, Bool).self)
        }
        // Signalled, and the backoff of its work row starts again from the first attempt.
        #expect(status == "pending" && attempts == 0 && error == nil && due)
        #expect(try await pool.withTransaction { try EventRetry.retry(id: "evt_done", on: $0) } == .notFailed(status: "processed"))
        #expect(try await pool.withTransaction { try EventRetry.retry(id: "evt_nope", on: $0) } == .notFound)
    }
}
