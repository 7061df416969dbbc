import Logging
import Postgres
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(1)))
struct ListenerTests {
    @Test func notifyWakesAListener() async throws {
        let configuration = try await TestDatabase.create("listen")
        let listener = PostgresListener(configuration: configuration, channels: ["work", "other"], logger: TestDatabase.logger)
        let running = Task { try await listener.run() }
        var events = listener.events.makeAsyncIterator()
        #expect(await events.next() == .connected)

        let sender = try await PostgresConnection.connect(configuration)
        try await sender.run { connection in
            try connection.query("SELECT pg_notify($1, $2)", ["work", "sub_1"])
            try connection.query("SELECT pg_notify($1, $2)", ["other", "sub_ü"])
            try connection.query("SELECT pg_notify($1, $2)", ["unheard", "x"])
        }
        let senderPID = await sender.backendPID

        guard case .notification(let first)? = await events.next(),
              case .notification(let second)? = await events.next() else {
            Issue.record("expected two notifications")
            return
        }
        #expect(first == PostgresNotification(channel: "work", payload: "sub_1", backendPID: senderPID))
        #expect(second == PostgresNotification(channel: "other", payload: "sub_ü", backendPID: senderPID))

        // Stopping ends the stream and run() returns.
        listener.stop()
        try await running.value
        #expect(await events.next() == nil)
    }
}
