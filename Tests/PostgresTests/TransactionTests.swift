import Postgres
import TestSupport
import Testing

struct Boom: Error {}

@Suite struct TransactionTests {
    let pool: PostgresPool

    init() async throws {
        pool = try await TestDatabase.pool("txn", size: 2)
        try await pool.withConnection { connection in
            try connection.simpleQuery("CREATE TABLE items (id text PRIMARY KEY, n int8 NOT NULL)")
        }
    }

    func count() async throws -> Int {
        try await pool.withConnection { try $0.query("SELECT count(*) FROM items")[0].decode(Int.self, column: 0) }
    }

    @Test func committedWritesStay() async throws {
        try await pool.withTransaction { connection in
            try connection.query("INSERT INTO items VALUES ($1, $2)", ["a", 1])
            try connection.query("INSERT INTO items VALUES ($1, $2)", ["b", 2])
        }
        #expect(try await count() == 2)
    }

    @Test func aThrownErrorRollsEverythingBack() async throws {
        await #expect(throws: Boom.self) {
            try await pool.withTransaction { connection in
                try connection.query("INSERT INTO items VALUES ($1, $2)", ["a", 1])
                try connection.query("INSERT INTO items VALUES ($1, $2)", ["b", 2])
                throw Boom()
            }
        }
        #expect(try await count() == 0)
    }

    @Test func aFailedStatementRollsBackAndTheConnectionStaysUsable() async throws {
        await #expect(throws: PostgresError.self) {
            try await pool.withTransaction { connection in
                try connection.query("INSERT INTO items VALUES ($1, $2)", ["a", 1])
                try connection.query("INSERT INTO items VALUES ($1, $2)", ["a", 2])  // duplicate key
            }
        }
        #expect(try await count() == 0)
        // The same (single) connection is reused and is not stuck in an aborted transaction.
        let onePool = try await TestDatabase.pool("txn1", size: 1)
        try await onePool.withConnection { try $0.simpleQuery("CREATE TABLE t (n int)") }
        await #expect(throws: PostgresError.self) {
            try await onePool.withTransaction { connection in
                try connection.simpleQuery("SELECT 1/0")
            }
        }
        let value = try await onePool.withConnection { try $0.query("SELECT 41 + 1")[0].decode(Int.self, column: 0) }
        #expect(value == 42)
    }

    /// A caller that leaves a transaction open does not hand it to the next user of the connection.
    @Test func aTransactionLeftOpenIsRolledBackOnRelease() async throws {
        let onePool = try await TestDatabase.pool("open", size: 1)
        try await onePool.withConnection { try $0.simpleQuery("CREATE TABLE t (n int)") }
        try await onePool.withConnection { connection in
            try connection.simpleQuery("BEGIN")
            try connection.simpleQuery("INSERT INTO t VALUES (1)")
        }
        let (count, inTransaction) = try await onePool.withConnection { connection in
            (try connection.query("SELECT count(*) FROM t")[0].decode(Int.self, column: 0),
             try connection.query("SELECT txid_current_if_assigned() IS NOT NULL")[0].decode(Bool.self, column: 0))
        }
        #expect(count == 0)
        #expect(!inTransaction)
    }

    @Test func nestedTransactionsAreRefused() async throws {
        await #expect(throws: PostgresError.self) {
            try await pool.withTransaction { connection in
                try connection.withTransaction { _ in }
            }
        }
    }
}
