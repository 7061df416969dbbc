import Foundation
import StandardWebhooks
import Hummingbird
import HummingbirdTesting
import Ingest
import Postgres
import Store
import TestSupport
import Testing

/// Storing a new pending event wakes the workers with a NOTIFY; ignored events, duplicates and
/// events for a subscription whose work is already due don't.
@Suite(.timeLimit(.minutes(1)))
struct WorkNotificationTests {
    @Test func aNewEventNotifiesWorkersAfterCommit() async throws {
        let configuration = try await TestDatabase.create("notify")
        let pool = PostgresPool(configuration: configuration, size: 2, logger: TestDatabase.logger)
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        let listener = PostgresListener(configuration: configuration, channels: [EventInbox.workChannel], logger: TestDatabase.logger)
        let listening = Task { try await listener.run() }
        var events = listener.events.makeAsyncIterator()
        #expect(await events.next() == .connected)

        let app = Application(router: IngestApplication.router(
            committer: GroupCommitter(pool: pool, logger: TestDatabase.logger),
            verifier: WebhookVerifier(secrets: [WebhookFixtures.secret]), now: { WebhookFixtures.now }))
        try await app.test(.router) { client in
            for body in [WebhookFixtures.unknownType(), WebhookFixtures.attached(id: "evt_n1"), WebhookFixtures.attached(id: "evt_n1"),
                         WebhookFixtures.attached(id: "evt_n2", sad: "sad_2"), WebhookFixtures.attached(id: "evt_n3", subscription: "sub_2", sad: "sad_3")] {
                _ = try await client.execute(uri: "/webhooks", method: .post, headers: WebhookFixtures.headers(for: body), body: ByteBuffer(string: body)) { _ in }
            }
        }
        // Exactly the three new pending events notify. The ignored one and the duplicate stay silent.
        for _ in 0..<3 {
            guard case .notification(let notification)? = await events.next() else {
                Issue.record("expected a work notification")
                return
            }
            #expect(notification.channel == EventInbox.workChannel)
        }
        try await pool.withConnection { try $0.query("SELECT pg_notify($1, $2)", ["addon_lifecycle_work", "marker"]) }
        guard case .notification(let marker)? = await events.next() else {
            Issue.record("expected the marker")
            return
        }
        #expect(marker.payload == "marker")
        listener.stop()
        try await listening.value
    }
}
