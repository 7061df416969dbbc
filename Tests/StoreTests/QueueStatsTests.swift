import Postgres
import Store
import TestSupport
import Testing

/// `/metrics` reads these on every scrape: exact while small, a bounded estimate past 10,000 rows.
@Suite struct QueueStatsTests {
    @Test func smallQueuesAreCountedExactly() async throws {
        let pool = try await TestDatabase.pool("stats_small")
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        try await pool.withConnection { connection in
            try connection.query("""
                INSERT INTO work (project, subscription, due_at)
                SELECT 'gigs', 'sub_' || i, now() + CASE WHEN i % 3 = 0 THEN interval '1 hour' ELSE interval '-1 minute' END
                FROM generate_series(1, 300) AS i
                """)
        }
        let stats = try await pool.withConnection { try QueueStats.read(on: $0) }
        #expect(stats == QueueStats(due: 200, oldestDueAge: stats.oldestDueAge, scheduled: 100, failedEvents: 0))
        #expect(stats.oldestDueAge >= 59 && stats.oldestDueAge < 120)
    }

    @Test func largeQueuesAreEstimatedNotCounted() async throws {
        let pool = try await TestDatabase.pool("stats_large")
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        // 36,000 due and 24,000 scheduled, interleaved so every page holds both; written as a
        // worker writes timers (the trigger that turns an earlier version's due rows into signals
        // stays out of it).
        try await pool.withConnection { connection in
            _ = try connection.simpleQuery("SET session_replication_role = replica")
            try connection.query("""
                INSERT INTO work (project, subscription, due_at)
                SELECT 'gigs', 'sub_' || i, now() + CASE WHEN i % 5 < 3 THEN interval '-1 minute' ELSE interval '1 day' END
                FROM generate_series(1, 60000) AS i
                """)
            // The insert's counts reach the statistics when this backend next goes idle: forced
            // before ANALYZE sets the live rows, else they would be added on top of its figure.
            _ = try connection.simpleQuery("RESET session_replication_role")
            _ = try connection.simpleQuery("SELECT pg_stat_force_next_flush()")
            _ = try connection.simpleQuery("ANALYZE work")
        }
        let stats = try await pool.withConnection { try QueueStats.read(on: $0) }
        #expect(stats.isEstimated)
        #expect(abs(stats.due - 36_000) < 6_000, "due \(stats.due)")
        #expect(abs(stats.scheduled - 24_000) < 6_000, "scheduled \(stats.scheduled)")
        #expect(stats.due + stats.scheduled >= 50_000)
    }
}
