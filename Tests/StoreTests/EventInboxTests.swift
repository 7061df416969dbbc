import Postgres
import Store
import TestSupport
import Testing

/// How storing events schedules their subscription's work row.
@Suite struct EventInboxTests {
    static let time = PostgresTimestamp(microsecondsSinceEpoch: 1_765_794_660_000_000)

    static func record(_ id: String, subscription: String) -> InboxRecord {
        InboxRecord(id: id, type: "com.gigs.invoice.paid", project: "gigs", subscription: subscription, time: time,
                    body: "{}", headers: PostgresJSONB("{}"), ignored: false)
    }

    @Test func aFutureTimerIsPulledToNowAndAnAlreadyDueRowIsLeftAlone() async throws {
        let pool = try await TestDatabase.pool("inbox_schedule")
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        try await pool.withConnection { connection in
            try connection.query("""
                INSERT INTO work (project, subscription, due_at) VALUES
                    ('gigs', 'sub_timer', now() + interval '1 day'), ('gigs', 'sub_due', now() - interval '1 minute')
                """)
        }
        func dueAt(_ subscription: String) async throws -> (PostgresTimestamp, Bool) {
            try await pool.withConnection { connection in
                try connection.query("SELECT due_at, due_at <= now() FROM work WHERE project = 'gigs' AND subscription = $1", [subscription])[0]
                    .decode((PostgresTimestamp, Bool).self)
            }
        }
        let (dueBefore, _) = try await dueAt("sub_due")

        let alreadyDue = try await pool.withConnection { try EventInbox.insert([Self.record("evt_a", subscription: "sub_due")], on: $0) }
        #expect(alreadyDue.newIDs == ["evt_a"])
        #expect(!alreadyDue.scheduledWork)
        #expect(try await dueAt("sub_due").0 == dueBefore)

        let timer = try await pool.withConnection { try EventInbox.insert([Self.record("evt_b", subscription: "sub_timer")], on: $0) }
        #expect(timer.scheduledWork)
        #expect(try await dueAt("sub_timer").1)

        let fresh = try await pool.withConnection { try EventInbox.insert([Self.record("evt_c", subscription: "sub_new")], on: $0) }
        #expect(fresh.scheduledWork)
        #expect(try await dueAt("sub_new").1)
    }
}
