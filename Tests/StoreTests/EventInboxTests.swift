import Postgres
import Store
import TestSupport
import Testing

/// How storing events tells workers about their subscriptions.
@Suite struct EventInboxTests {
    static let time = PostgresTimestamp(microsecondsSinceEpoch: 1_765_794_660_000_000)

    static func record(_ id: String, subscription: String) -> InboxRecord {
        InboxRecord(id: id, type: "com.gigs.invoice.paid", project: "gigs", subscription: subscription, time: time,
                    body: "{}", headers: PostgresJSONB("{}"), ignored: false)
    }

    @Test func aNewPendingEventSignalsItsSubscriptionAndLeavesWorkRowsAlone() async throws {
        let pool = try await TestDatabase.pool("inbox_schedule")
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        try await pool.withConnection { connection in
            try connection.query("""
                INSERT INTO work (project, subscription, due_at) VALUES ('gigs', 'sub_timer', now() + interval '1 day')
                """)
        }
        func signals() async throws -> [String] {
            try await pool.withConnection { connection in
                try connection.query("SELECT subscription FROM work_signals ORDER BY id").map { try $0.decode(String.self, column: 0) }
            }
        }
        let timer = try await pool.withConnection {
            try EventInbox.insert([Self.record("evt_a", subscription: "sub_timer"), Self.record("evt_b", subscription: "sub_timer"),
                                   Self.record("evt_c", subscription: "sub_new")], on: $0)
        }
        #expect(timer.newIDs == ["evt_a", "evt_b", "evt_c"])
        #expect(timer.scheduledWork)
        // One signal per subscription of the batch; the timer's row is the workers' alone.
        let signalled = try await signals()
        #expect(signalled.sorted() == ["sub_new", "sub_timer"])
        let (timerStillAhead, rows) = try await pool.withConnection { connection in
            try connection.query("SELECT bool_and(due_at > now()), count(*) FROM work")[0].decode((Bool, Int).self)
        }
        #expect(timerStillAhead && rows == 1)

        let duplicate = try await pool.withConnection { try EventInbox.insert([Self.record("evt_a", subscription: "sub_timer")], on: $0) }
        #expect(duplicate.newIDs.isEmpty && !duplicate.scheduledWork)
        #expect(try await signals().count == 2)
    }

    /// A batch of duplicates writes no row, yet its commit must wait for the synchronous standby
    /// like a first store: the earlier store may be one whose wait was cancelled (answered 503),
    /// and `duplicate` tells the sender it is safe. Key-share locking the stored rows gives the
    /// transaction an id, so its commit record goes through the synchronous wait.
    @Test func aDuplicateAnswerCommitsThroughTheStandbyWait() async throws {
        let pool = try await TestDatabase.pool("inbox_duplicate_xid")
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        _ = try await pool.withConnection { try EventInbox.insert([Self.record("evt_dup", subscription: "sub_dup")], on: $0) }
        let (stored, writes) = try await pool.withTransaction { connection in
            let stored = try EventInbox.insert([Self.record("evt_dup", subscription: "sub_dup")], on: connection)
            let writes = try connection.query("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")[0].decode(Bool.self, column: 0)
            return (stored, writes)
        }
        #expect(stored.newIDs.isEmpty)
        #expect(writes, "a duplicate's transaction has no commit record to wait for the standby")
    }

    /// The lock a worker of earlier versions held on a work row for its whole batch: ingest no longer
    /// touches the row, so a batch goes through under a lock timeout far shorter than the hold.
    @Test func ingestDoesNotWaitForAHeldWorkRow() async throws {
        let pool = try await TestDatabase.pool("inbox_held")
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        try await pool.withConnection { connection in
            try connection.query("INSERT INTO work (project, subscription, due_at) VALUES ('gigs', 'sub_held', now())")
        }
        let holder = try await PostgresConnection.connect(pool.configuration)
        _ = try await holder.simpleQuery("BEGIN")
        _ = try await holder.query("SELECT FROM work WHERE subscription = 'sub_held' FOR UPDATE")
        _ = try await holder.query("SELECT pg_advisory_xact_lock(work_lock_key('gigs', 'sub_held'))")
        let stored = try await pool.withTransaction { connection in
            try connection.query("SET LOCAL lock_timeout = '200ms'")
            return try EventInbox.insert([Self.record("evt_held", subscription: "sub_held")], on: connection)
        }
        #expect(stored.newIDs == ["evt_held"] && stored.scheduledWork)
        _ = try await holder.simpleQuery("ROLLBACK")
        await holder.close()
    }
}
