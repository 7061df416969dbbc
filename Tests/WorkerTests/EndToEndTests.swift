import Foundation
import StandardWebhooks
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import Lifecycle
import EventFormat
import Postgres
import Store
import TestSupport
import Testing
import Worker

/// Events in through the HTTP endpoint, workers running, state checked in PostgreSQL. Waits are
/// bounded generously (a loaded machine is slow), never asserted as timings.
@Suite(.timeLimit(.minutes(2)))
struct EndToEndTests {
    static let secret = WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!

    struct Harness {
        let pool: PostgresPool
        let app: Application<RouterResponder<BasicRequestContext>>
        let workers: WorkerService
        let running: Task<Void, Error>

        init() async throws {
            pool = try await TestDatabase.pool("e2e", size: 4)
            try await Migrator(logger: TestDatabase.logger).migrate(pool)
            let committer = GroupCommitter(pool: pool, logger: TestDatabase.logger)
            app = Application(router: IngestApplication.router(committer: committer, verifier: WebhookVerifier(secrets: [EndToEndTests.secret])))
            workers = WorkerService(pool: pool, configuration: .init(workers: 2, batchSize: 10, pollInterval: .seconds(1)), logger: TestDatabase.logger)
            let workers = self.workers
            running = Task { try await workers.run() }
        }

        func post(_ bodies: [String]) async throws {
            try await app.test(.router) { client in
                for body in bodies {
                    let id = "msg_\(UUID().uuidString.prefix(8))"
                    let timestamp = Int64(Date().timeIntervalSince1970)
                    var headers = HTTPFields()
                    headers[HTTPField.Name("webhook-id")!] = id
                    headers[HTTPField.Name("webhook-timestamp")!] = String(timestamp)
                    headers[HTTPField.Name("webhook-signature")!] = WebhookVerifier.sign(id: id, timestamp: timestamp, body: Array(body.utf8), secret: EndToEndTests.secret)
                    headers[.contentType] = "application/json"
                    let status = try await client.execute(uri: "/webhooks", method: .post, headers: headers, body: ByteBuffer(string: body)) { $0.status }
                    #expect(status == .accepted || status == .ok)
                }
            }
        }

        struct Row: Equatable {
            var status: String
            var activatedAt: PostgresTimestamp?
            var endedAt: PostgresTimestamp?
            var endReason: String?
        }

        func addon(_ id: String) async throws -> Row? {
            try await pool.withConnection { connection in
                try connection.query("SELECT status, activated_at, ended_at, end_reason FROM subscription_addons WHERE id = $1", [id])
                    .first.map { row in
                        let (status, activated, ended, reason) = try row.decode((String, PostgresTimestamp?, PostgresTimestamp?, String?).self)
                        return Row(status: status, activatedAt: activated, endedAt: ended, endReason: reason)
                    }
            }
        }

        /// Polls until `predicate` holds (bounded), then returns the row.
        func waitFor(_ id: String, _ predicate: (Row) -> Bool) async throws -> Row? {
            for _ in 0..<600 {
                if let row = try await addon(id), predicate(row) { return row }
                try await Task.sleep(for: .milliseconds(100))
            }
            return try await addon(id)
        }

        func transitions(_ id: String) async throws -> [(String, PostgresTimestamp, String?)] {
            try await pool.withConnection { connection in
                try connection.query("SELECT kind, at, end_reason FROM transitions WHERE subscription_addon = $1 ORDER BY seq", [id])
                    .map { try $0.decode((String, PostgresTimestamp, String?).self) }
            }
        }

        func stop() async throws {
            workers.stop()
            try await running.value
        }
    }

    static func envelope(_ id: String, _ type: String, _ time: String, _ data: String) -> String {
        #"{"object":"event","id":"\#(id)","type":"\#(type)","time":"\#(time)","project":"gigs","data":\#(data)}"#
    }

    static func japanPass(sad: String, subscription: String, time: String) -> String {
        envelope("evt_created_\(sad)", "com.gigs.subscriptionAddon.created", time, """
            {"object":"subscriptionAddon","id":"\(sad)","subscription":"\(subscription)","addon":{"object":"addon","id":"add_japan_5gb",\
            "name":"Japan 5GB","type":"topUp","activationTrigger":"usageStarted","coverage":{"object":"coverage","id":"cp_japan",\
            "countries":["JP"],"name":"Japan"},"validity":{"unit":"day","value":14},"price":{"amount":1499,"currency":"USD"}}}
            """)
    }

    static func micros(_ text: String) -> PostgresTimestamp {
        PostgresTimestamp(Instant(rfc3339: text)!)
    }

    /// The seed tutorial's Japan pass, delivered in reverse order and twice: activation at the
    /// usage time, expiry 14 days later, each transition recorded once with its logical time.
    @Test func japanPassOutOfOrderAndDuplicated() async throws {
        let harness = try await Harness()
        let events = [
            Self.japanPass(sad: "sad_jp", subscription: "sub_jp", time: "2025-12-15T10:30:00Z"),
            Self.envelope("evt_paid_jp", "com.gigs.invoice.paid", "2025-12-15T10:31:00Z",
                          #"{"object":"invoice","id":"inv_1","subscription":"sub_jp","lineItems":[{"subscriptionAddon":"sad_jp"}]}"#),
            Self.envelope("evt_usage_de", "com.gigs.usage.started", "2025-12-18T07:00:00Z", #"{"subscription":"sub_jp","country":"DE","kind":"data"}"#),
            Self.envelope("evt_usage_jp", "com.gigs.usage.started", "2025-12-20T08:00:00Z", #"{"subscription":"sub_jp","country":"JP","kind":"data"}"#),
        ]
        try await harness.post(events.reversed() + events)
        let row = try await harness.waitFor("sad_jp") { $0.status == "ended" }
        #expect(row == Harness.Row(status: "ended", activatedAt: Self.micros("2025-12-20T08:00:00Z"),
                                   endedAt: Self.micros("2026-01-03T08:00:00Z"), endReason: "expired"))
        let transitions = try await harness.transitions("sad_jp")
        #expect(transitions.map(\.0) == ["activated", "ended"])
        #expect(transitions.map(\.1) == [Self.micros("2025-12-20T08:00:00Z"), Self.micros("2026-01-03T08:00:00Z")])
        #expect(transitions.map(\.2) == [nil, "expired"])
        let pending = try await harness.pool.withConnection { connection in
            try connection.query("SELECT count(*) FROM events WHERE status <> 'processed'")[0].decode(Int.self, column: 0)
        }
        #expect(pending == 0)
        try await harness.stop()
    }

    /// A free top-up whose one-day validity ends a few seconds after the test starts: the timer
    /// fires, and the transition carries the logical expiry, not the worker's clock.
    @Test func aTimerExpiresTheAddOnOnTime() async throws {
        let harness = try await Harness()
        let now = Instant(microseconds: Int64(Date().timeIntervalSince1970) * 1_000_000)
        let created = now.advanced(byMicroseconds: -86_400_000_000 + 3_000_000)
        let body = Self.envelope("evt_topup", "com.gigs.subscriptionAddon.created", created.rfc3339, """
            {"object":"subscriptionAddon","id":"sad_day","subscription":"sub_day","addon":{"object":"addon","id":"add_day",\
            "name":"Daily booster","type":"topUp","activationTrigger":"creation","coverage":null,\
            "validity":{"unit":"day","value":1},"price":{"amount":0,"currency":"USD"}}}
            """)
        try await harness.post([body])
        let active = try await harness.waitFor("sad_day") { $0.status == "active" }
        #expect(active?.activatedAt == PostgresTimestamp(created))
        let ended = try await harness.waitFor("sad_day") { $0.status == "ended" }
        #expect(ended?.endedAt == PostgresTimestamp(now.advanced(byMicroseconds: 3_000_000)))
        #expect(ended?.endReason == "expired")
        #expect(try await harness.transitions("sad_day").map(\.0) == ["activated", "ended"])
        // Nothing left to do: the work row is gone.
        let work = try await harness.pool.withConnection { try $0.query("SELECT count(*) FROM work")[0].decode(Int.self, column: 0) }
        #expect(work == 0)
        try await harness.stop()
    }

    /// The stored state is exactly the fold of the stored events (the replay oracle in small).
    @Test func storedStateEqualsTheFoldOfTheLog() async throws {
        let harness = try await Harness()
        try await harness.post([
            Self.japanPass(sad: "sad_a", subscription: "sub_f", time: "2025-12-15T10:30:00Z"),
            Self.envelope("evt_cancel_a", "com.gigs.subscriptionAddon.canceled", "2025-12-16T00:00:00Z", #"{"id":"sad_a","subscription":"sub_f"}"#),
            Self.japanPass(sad: "sad_b", subscription: "sub_f", time: "2025-12-17T10:30:00Z"),
        ])
        _ = try await harness.waitFor("sad_b") { $0.status == "pending" }
        _ = try await harness.waitFor("sad_a") { $0.status == "ended" }
        let (bodies, now) = try await harness.pool.withConnection { connection in
            (try connection.query("SELECT body FROM events ORDER BY seq").map { try $0.decode(String.self, column: 0) },
             try connection.query("SELECT now()")[0].decode(PostgresTimestamp.self, column: 0))
        }
        let facts = try bodies.compactMap { try EventDecoder.decode(Array($0.utf8)).fact }
        let folded = Lifecycle.evaluate(facts: facts, now: Instant(now))
        for addon in folded.sortedAddons {
            let row = try await harness.addon(addon.id)
            #expect(row?.status == addon.status.rawValue)
            #expect(row?.activatedAt == addon.activatedAt.map(PostgresTimestamp.init))
            #expect(row?.endedAt == addon.endedAt.map(PostgresTimestamp.init))
            #expect(row?.endReason == addon.endReason?.rawValue)
        }
        #expect(folded.addons.count == 2)
        try await harness.stop()
    }
}
