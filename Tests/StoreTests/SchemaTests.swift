import Postgres
import Store
import TestSupport
import Testing

/// The schema enforces the invariants the workers rely on, even against buggy callers.
@Suite struct SchemaTests {
    let pool: PostgresPool

    init() async throws {
        pool = try await TestDatabase.pool("schema")
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
    }

    let time = PostgresTimestamp(microsecondsSinceEpoch: 1_765_794_660_000_000)

    @Test func eventsDedupByID() async throws {
        let inserted = try await pool.withConnection { [time] connection in
            var total = 0
            for body in [#"{"a":1}"#, #"{"different":"body"}"#] {
                total += try connection.query("""
                    INSERT INTO events (id, type, project, subscription, time, body)
                    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING
                    """, ["evt_1", "com.gigs.invoice.paid", "gigs", "sub_1", time, body]).affectedRows
            }
            return total
        }
        #expect(inserted == 1)
    }

    @Test func aTransitionIsRecordedAtMostOncePerKind() async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { [time] connection in
                for _ in 0..<2 {
                    try connection.query("""
                        INSERT INTO transitions (project, subscription_addon, subscription, kind, at)
                        VALUES ($1, $2, $3, 'activated', $4)
                        """, ["gigs", "sad_1", "sub_1", time])
                }
            }
        }
        #expect(error?.kind == .uniqueViolation)
        #expect(error?.constraint == "transitions_once")
    }

    @Test func endedTransitionsNeedAReason() async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { [time] connection in
                try connection.query("""
                    INSERT INTO transitions (project, subscription_addon, subscription, kind, at)
                    VALUES ($1, $2, $3, 'ended', $4)
                    """, ["gigs", "sad_1", "sub_1", time])
            }
        }
        #expect(error?.kind == .checkViolation)
    }

    @Test func statusesAreConstrained() async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { [time] connection in
                try connection.query("""
                    INSERT INTO events (id, type, project, time, body, status) VALUES ($1, $2, $3, $4, $5, $6)
                    """, ["evt_2", "x", "gigs", time, "{}", "done"])
            }
        }
        #expect(error?.kind == .checkViolation)
    }

    /// Claiming: two transactions never get the same work row.
    @Test func skipLockedClaimsAreDisjoint() async throws {
        try await pool.withConnection { [time] connection in
            for index in 0..<10 {
                try connection.query("INSERT INTO work (project, subscription, due_at) VALUES ($1, $2, $3)", ["gigs", "sub_\(index)", time])
            }
        }
        let claim = "SELECT subscription FROM work WHERE due_at <= now() ORDER BY due_at LIMIT 6 FOR UPDATE SKIP LOCKED"
        let first = try await PostgresConnection.connect(pool.configuration)
        let second = try await PostgresConnection.connect(pool.configuration)
        try await first.run { try $0.simpleQuery("BEGIN") }
        let a = try await first.run { try $0.query(claim).map { try $0.decode(String.self, column: 0) } }
        let b = try await second.run { try $0.withTransaction { try $0.query(claim).map { try $0.decode(String.self, column: 0) } } }
        try await first.run { try $0.simpleQuery("COMMIT") }
        #expect(a.count == 6)
        #expect(b.count == 4)
        #expect(Set(a).isDisjoint(with: Set(b)))
    }
}
