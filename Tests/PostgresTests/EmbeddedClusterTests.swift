import Foundation
import Postgres
import TestSupport
import Testing

/// Runs its own private cluster (not the shared test server), because it stops and restarts it.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct EmbeddedClusterTests {
    /// Several processes starting the embedded default at once: one creates and starts it, the
    /// others wait their turn and join.
    @Test func concurrentStartsCreateOneCluster() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("embedded-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let starts = try await withThrowingTaskGroup(of: EmbeddedCluster.Running.self) { group in
            for _ in 0..<3 {
                group.addTask { try await EmbeddedCluster(directory: directory, logger: TestDatabase.logger).start() }
            }
            return try await group.reduce(into: [EmbeddedCluster.Running]()) { $0.append($1) }
        }
        #expect(starts.filter(\.startedHere).count == 1)
        #expect(Set(starts.map(\.connectionString)).count == 1)
        let connection = try await PostgresConnection.connect(PostgresConfiguration(starts[0].connectionString))
        #expect(try await connection.run { try $0.query("SELECT current_database()")[0].decode(String.self, column: 0) } == "addon_lifecycle")
        await connection.close()
        try await EmbeddedCluster(directory: directory, logger: TestDatabase.logger).stop()
    }

    @Test func poolAndListenerSurviveAServerRestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("embedded-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let cluster = EmbeddedCluster(directory: directory, logger: TestDatabase.logger)
        let running = try await cluster.start()
        #expect(running.startedHere)

        let configuration = PostgresConfiguration(running.connectionString)
        let pool = PostgresPool(configuration: configuration, size: 2, logger: TestDatabase.logger)
        let listen = try await pool.withConnection { try $0.query("SHOW listen_addresses")[0].decode(String.self, column: 0) }
        #expect(listen == "127.0.0.1")
        let pidBefore = try await pool.withConnection { $0.backendPID }

        let listener = PostgresListener(configuration: configuration, channels: ["work"], logger: TestDatabase.logger)
        let listening = Task { try await listener.run() }
        var events = listener.events.makeAsyncIterator()
        #expect(await events.next() == .connected)

        // A second start finds the server running and does not own it.
        #expect(try await cluster.start().startedHere == false)

        try await cluster.stop()
        let restarted = try await cluster.start()
        #expect(restarted.connectionString == running.connectionString)

        // The idle pooled connection died with the server; the pool notices and reconnects.
        let (value, pidAfter) = try await pool.withConnection { connection in
            (try connection.query("SELECT 1 + 1")[0].decode(Int.self, column: 0), connection.backendPID)
        }
        #expect(value == 2)
        #expect(pidAfter != pidBefore)

        // The listener reconnects by itself and hears new notifications.
        #expect(await events.next() == .connected)
        try await pool.withConnection { try $0.query("SELECT pg_notify($1, $2)", ["work", "after-restart"]) }
        guard case .notification(let notification)? = await events.next() else {
            Issue.record("no notification after restart")
            return
        }
        #expect(notification.payload == "after-restart")

        listener.stop()
        try await listening.value
        pool.close()
        try await cluster.stop()
    }
}
