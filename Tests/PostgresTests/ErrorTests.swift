import Postgres
import TestSupport
import Testing

@Suite struct ErrorTests {
    @Test func uniqueViolationIsTyped() async throws {
        let pool = try await TestDatabase.pool("err")
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { connection in
                try connection.simpleQuery("CREATE TABLE events (id text PRIMARY KEY)")
                try connection.query("INSERT INTO events VALUES ($1)", ["evt_1"])
                try connection.query("INSERT INTO events VALUES ($1)", ["evt_1"])
            }
        }
        #expect(error?.kind == .uniqueViolation)
        #expect(error?.sqlState == "23505")
        #expect(error?.constraint == "events_pkey")
    }

    @Test(arguments: [
        ("SELEC 1", PostgresError.Kind.syntaxError, "42601"),
        ("SELECT * FROM no_such_table", .undefinedTable, "42P01"),
        ("SELECT 1/0", .server, "22012"),
        ("SET statement_timeout = 10; SELECT pg_sleep(5)", .queryCanceled, "57014"),
    ])
    func sqlStatesMapToKinds(sql: String, kind: PostgresError.Kind, state: String) async throws {
        let pool = PostgresPool(configuration: try await TestDatabase.shared("errors"), size: 1, logger: TestDatabase.logger)
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { try $0.simpleQuery(sql) }
        }
        #expect(error?.kind == kind)
        #expect(error?.sqlState == state)
    }

    @Test func statementTimeoutFromTheConfigurationCancelsLongStatements() async throws {
        var configuration = try await TestDatabase.create("timeout")
        configuration.statementTimeout = .milliseconds(100)
        let pool = PostgresPool(configuration: configuration, size: 1, logger: TestDatabase.logger)
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { try $0.simpleQuery("SELECT pg_sleep(5)") }
        }
        #expect(error?.kind == .queryCanceled)
        let setting = try await pool.withConnection { try $0.query("SHOW statement_timeout")[0].decode(String.self, column: 0) }
        #expect(setting == "100ms")
    }

    @Test func serializationFailureIsTyped() async throws {
        let pool = try await TestDatabase.pool("ser", size: 2)
        try await pool.withConnection { try $0.simpleQuery("CREATE TABLE c (id int PRIMARY KEY, n int); INSERT INTO c VALUES (1, 0)") }
        let first = try await PostgresConnection.connect(pool.configuration)
        let second = try await PostgresConnection.connect(pool.configuration)
        try await first.run { try $0.simpleQuery("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT n FROM c") }
        try await second.run { try $0.simpleQuery("UPDATE c SET n = n + 1") }
        let error = await #expect(throws: PostgresError.self) {
            try await first.run { try $0.simpleQuery("UPDATE c SET n = n + 1") }
        }
        #expect(error?.kind == .serializationFailure)
        #expect(error?.isTransient == true)
    }

    /// A write refused because the server went read-only (a primary being demoted, or a standby)
    /// is typed, and the connection is dropped so the next use connects afresh (to the primary).
    @Test func aReadOnlyServerClosesTheConnection() async throws {
        let pool = try await TestDatabase.pool("read_only", size: 1)
        let before = try await pool.withConnection { connection in
            try connection.query("CREATE TABLE IF NOT EXISTS writes (id int)")
            try connection.query("SET default_transaction_read_only = on")
            return connection.backendPID
        }
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { try $0.query("INSERT INTO writes VALUES (1)") }
        }
        #expect(error?.kind == .readOnly && error?.sqlState == "25006" && error?.isTransient == true)
        let after = try await pool.withConnection { connection in
            try connection.query("INSERT INTO writes VALUES (2)")
            return connection.backendPID
        }
        #expect(after != before, "the read-only session was reused")
    }

    /// The message names where we tried to connect, and never the password.
    @Test func connectionFailureNamesTheTargetButNotThePassword() async throws {
        let configuration = PostgresConfiguration("postgresql://app:s3cr3t-pw@127.0.0.1:1/addons", connectTimeout: 2)
        let error = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(configuration)
        }
        #expect(error?.kind == .connectionFailed)
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("127.0.0.1"))
        #expect(text.contains(":1/addons"))
        #expect(!text.contains("s3cr3t"))
        #expect(!text.contains("\n"))
        #expect(!configuration.description.contains("s3cr3t"))
    }

    @Test func malformedURLIsRejectedWithoutEchoingIt() async throws {
        let error = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(PostgresConfiguration("postgresql://app:pa%zzword@host/db"))
        }
        #expect(error?.kind == .connectionFailed)
        #expect(error?.message.contains("invalid DATABASE_URL") == true)
        #expect(error?.message.contains("zzword") == false)
    }
}
