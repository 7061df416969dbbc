import Foundation
import StandardWebhooks
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import Postgres
import Store
import TestSupport
import Testing

/// Stops its own private PostgreSQL mid-test: ingest answers 503 with Retry-After (no hang, no
/// 500), then recovers when the database is back, without restarting anything.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct DatabaseOutageTests {
    @Test func unavailableWhileTheDatabaseIsDownThenRecovers() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("outage-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let cluster = EmbeddedCluster(directory: directory, logger: TestDatabase.logger)
        let running = try await cluster.start()
        let pool = PostgresPool(configuration: PostgresConfiguration(running.connectionString, connectTimeout: 2), size: 4, logger: TestDatabase.logger)
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        let committer = GroupCommitter(pool: pool, logger: TestDatabase.logger)
        let app = Application(router: IngestApplication.router(
            committer: committer, verifier: WebhookVerifier(secrets: [WebhookFixtures.secret]), now: { WebhookFixtures.now }))

        try await app.test(.router) { client in
            func post(_ id: String) async throws -> (HTTPResponse.Status, String?) {
                let body = WebhookFixtures.attached(id: id)
                return try await client.execute(uri: "/webhooks", method: .post, headers: WebhookFixtures.headers(for: body), body: ByteBuffer(string: body)) {
                    ($0.status, $0.headers[.retryAfter])
                }
            }
            #expect(try await post("evt_before").0 == .accepted)

            try await cluster.stop()
            let (status, retryAfter) = try await post("evt_during")
            #expect(status == .serviceUnavailable)
            #expect(retryAfter == "5")

            _ = try await cluster.start()
            #expect(try await post("evt_after").0 == .accepted)
            // The provider retries what got a 503; it lands now.
            #expect(try await post("evt_during").0 == .accepted)
        }
        let ids = try await pool.withConnection { connection in
            try connection.query("SELECT id FROM events ORDER BY seq").map { try $0.decode(String.self, column: 0) }
        }
        #expect(ids == ["evt_before", "evt_after", "evt_during"])
        pool.close()
        try await cluster.stop()
    }
}
