import Logging
import Postgres
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(2)))
struct PoolTests {
    @Test func neverOpensMoreThanItsSize() async throws {
        let pool = try await TestDatabase.pool("pool", size: 3)
        let pids = try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<30 {
                group.addTask {
                    try await pool.withConnection { connection in
                        try connection.simpleQuery("SELECT pg_sleep(0.01)")
                        return connection.backendPID
                    }
                }
            }
            return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
        }
        #expect(pids.count <= 3)
        #expect(!pids.contains(0))
    }

    /// libpq calls block their thread. With 6 connections stuck in a lock wait, more than the
    /// cooperative pool's threads on this machine, Swift tasks must still run: if libpq blocked
    /// the cooperative pool this test would hang (and hit its time limit) instead of finishing.
    @Test func blockingQueriesDoNotStarveSwiftConcurrency() async throws {
        let configuration = try await TestDatabase.create("block")
        let pool = PostgresPool(configuration: configuration, size: 6, logger: TestDatabase.logger)
        let holder = try await PostgresConnection.connect(configuration)
        try await holder.run { try $0.query("SELECT pg_advisory_lock($1)", [Int64(42)]) }

        let waiters = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await pool.withConnection { connection in
                            try connection.query("SELECT pg_advisory_lock($1)", [Int64(42)])
                            try connection.query("SELECT pg_advisory_unlock($1)", [Int64(42)])
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        // Wait until all six are blocked inside libpq, observed from the server.
        while try await holder.run({ try $0.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")[0].decode(Int.self, column: 0) }) < 6 {
            try await Task.sleep(for: .milliseconds(20))
        }
        // Plenty of ordinary async work still gets scheduled meanwhile.
        let sum = await withTaskGroup(of: Int.self) { group in
            for value in 1...100 { group.addTask { await Task.yield(); return value } }
            return await group.reduce(0, +)
        }
        #expect(sum == 5050)
        try await holder.run { try $0.query("SELECT pg_advisory_unlock($1)", [Int64(42)]) }
        try await waiters.value
    }

    @Test func waitersGiveUpAfterTheAcquireTimeout() async throws {
        let pool = PostgresPool(
            configuration: try await TestDatabase.create("wait"), size: 1, acquireTimeout: .milliseconds(200), logger: TestDatabase.logger)
        let busy = Task { try await pool.withConnection { try $0.simpleQuery("SELECT pg_sleep(3)") } }
        try await Task.sleep(for: .milliseconds(300))  // let `busy` take the only connection
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { _ in }
        }
        #expect(error?.kind == .unavailable)
        _ = try await busy.value
    }

    @Test func aClosedPoolRefusesWork() async throws {
        let pool = try await TestDatabase.pool("closed", size: 1)
        try await pool.withConnection { try $0.simpleQuery("SELECT 1") }
        pool.close()
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { _ in }
        }
        #expect(error?.kind == .unavailable)
    }

    @Test func anUnreachableServerFailsFastWithConnectionFailed() async throws {
        let pool = PostgresPool(
            configuration: PostgresConfiguration("postgresql://postgres@127.0.0.1:1/none", connectTimeout: 2),
            size: 2, logger: TestDatabase.logger)
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { _ in }
        }
        #expect(error?.kind == .connectionFailed)
        // The failed slot is not leaked: further attempts fail the same way instead of waiting.
        for _ in 0..<3 {
            await #expect(throws: PostgresError.self) { try await pool.withConnection { _ in } }
        }
    }
}
