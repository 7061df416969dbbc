import EventFormat
import Postgres
import Store
import TestSupport
import Testing

/// Marking events processed adds no index entries: every update of `events` a fold makes is
/// heap-only (HOT), so no index of the table names the columns it changes.
@Suite struct ProcessedEventUpdateTests {
    @Test func markingEventsProcessedIsHeapOnly() async throws {
        let pool = try await TestDatabase.pool("hot_update")
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        let bodies = (1...3).map { SlowFoldTests.created("evt_\($0)", subscription: "sub_hot", sad: "sad_\($0)") }
        _ = try await SlowFoldTests.store(bodies, in: pool)
        let (processed, updates, heapOnly) = try await pool.withTransaction { connection in
            let outcome = try WorkQueue.processDue(limit: 50, on: connection)
            // This transaction's own counts, exact (not the statistics collector's, which lag).
            let (updates, heapOnly) = try connection.query("""
                SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'events'
                """)[0].decode((Int, Int).self)
            return (outcome.processedEvents, updates, heapOnly)
        }
        #expect(processed == 3)
        #expect(updates == 3 && heapOnly == 3)
    }
}
