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

/// SPEC §2's response table, row by row, through the HTTP endpoint and a real PostgreSQL.
@Suite struct WebhookTests {
    let pool: PostgresPool
    let app: Application<RouterResponder<BasicRequestContext>>

    init() async throws {
        pool = try await TestDatabase.pool("ingest")
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        let committer = GroupCommitter(pool: pool, logger: TestDatabase.logger)
        let verifier = WebhookVerifier(secrets: [WebhookFixtures.secret, WebhookFixtures.rotatedSecret])
        app = Application(router: IngestApplication.router(committer: committer, verifier: verifier, now: { WebhookFixtures.now }))
    }

    struct Reply {
        var status: HTTPResponse.Status
        var json: JSONValue?
        var headers: HTTPFields
    }

    func post(_ body: String, headers: HTTPFields? = nil) async throws -> Reply {
        let headers = headers ?? WebhookFixtures.headers(for: body)
        return try await app.test(.router) { client in
            try await client.execute(uri: "/webhooks", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                Reply(status: response.status, json: try? JSONValue(parsing: Array(response.body.readableBytesView)), headers: response.headers)
            }
        }
    }

    func storedEvents() async throws -> [(String, String)] {
        try await pool.withConnection { connection in
            try connection.query("SELECT id, status FROM events ORDER BY seq").map { try $0.decode((String, String).self) }
        }
    }

    func signalledSubscriptions() async throws -> [String] {
        try await pool.withConnection { connection in
            try connection.query("SELECT DISTINCT subscription FROM work_signals ORDER BY subscription").map { try $0.decode(String.self, column: 0) }
        }
    }

    func expectError(_ reply: Reply, _ status: HTTPResponse.Status, type: String, code: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == status, sourceLocation: sourceLocation)
        #expect(reply.json?["object"]?.stringValue == "error", sourceLocation: sourceLocation)
        #expect(reply.json?["type"]?.stringValue == type, sourceLocation: sourceLocation)
        #expect(reply.json?["message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        if let code { #expect(reply.json?["code"]?.stringValue == code, sourceLocation: sourceLocation) }
    }

    @Test func acceptedEventIsStoredAndItsSubscriptionScheduled() async throws {
        let reply = try await post(WebhookFixtures.attached(id: "evt_accepted", subscription: "sub_9"))
        #expect(reply.status == .accepted)
        #expect(reply.json == ["object": "eventReceipt", "id": "evt_accepted", "status": "accepted"])
        #expect(try await storedEvents().map(\.0) == ["evt_accepted"])
        #expect(try await storedEvents().map(\.1) == ["pending"])
        #expect(try await signalledSubscriptions() == ["sub_9"])
    }

    @Test func rawBodyIsStoredByteForByte() async throws {
        let body = WebhookFixtures.attached(id: "evt_raw").replacingOccurrences(of: "\"gigs\"", with: "\"gigs\"   ")
        #expect(try await post(body).status == .accepted)
        let stored = try await pool.withConnection { try $0.query("SELECT body FROM events")[0].decode(String.self, column: 0) }
        #expect(stored == body)
    }

    @Test func unknownTypesAreStoredAsIgnored() async throws {
        let reply = try await post(WebhookFixtures.unknownType(id: "evt_unknown"))
        #expect(reply.status == .accepted)
        #expect(reply.json?["status"]?.stringValue == "ignored")
        #expect(try await storedEvents().map(\.1) == ["ignored"])
        #expect(try await signalledSubscriptions() == [])
    }

    @Test func theSameEventThreeTimesIsOneRowAndTwoDuplicates() async throws {
        let body = WebhookFixtures.attached(id: "evt_thrice")
        let statuses = try await [post(body), post(body), post(body)].map(\.status)
        #expect(statuses == [.accepted, .ok, .ok])
        let again = try await post(body)
        #expect(again.json == ["object": "eventReceipt", "id": "evt_thrice", "status": "duplicate"])
        #expect(try await storedEvents().count == 1)
    }

    @Test func aDuplicateWithADifferentBodyChangesNothing() async throws {
        let first = WebhookFixtures.attached(id: "evt_same", subscription: "sub_a")
        #expect(try await post(first).status == .accepted)
        #expect(try await post(WebhookFixtures.attached(id: "evt_same", subscription: "sub_b")).status == .ok)
        let stored = try await pool.withConnection { try $0.query("SELECT body FROM events")[0].decode(String.self, column: 0) }
        #expect(stored == first)
        #expect(try await signalledSubscriptions() == ["sub_a"])
    }

    @Test func concurrentDuplicatesStoreOnce() async throws {
        let body = WebhookFixtures.attached(id: "evt_race")
        let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
            for _ in 0..<20 { group.addTask { try await post(body).status } }
            return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == .accepted }.count == 1)
        #expect(statuses.filter { $0 == .ok }.count == 19)
        #expect(try await storedEvents().count == 1)
    }

    @Test func aSecretFromTheRotationListVerifies() async throws {
        let body = WebhookFixtures.attached()
        #expect(try await post(body, headers: WebhookFixtures.headers(for: body, secret: WebhookFixtures.rotatedSecret)).status == .accepted)
    }

    @Test func svixHeaderNamesAreAccepted() async throws {
        let body = WebhookFixtures.attached()
        #expect(try await post(body, headers: WebhookFixtures.headers(for: body, prefix: "svix")).status == .accepted)
    }

    @Test func oneValidSignatureAmongSeveralIsEnough() async throws {
        let body = WebhookFixtures.attached()
        let headers = WebhookFixtures.headers(for: body, extraSignatures: ["v1,bm90IGEgc2lnbmF0dXJl", "v2,ignored"])
        #expect(try await post(body, headers: headers).status == .accepted)
    }

    @Test(arguments: [-300, 300, 0] as [Int64])
    func timestampsWithinToleranceAreAccepted(offset: Int64) async throws {
        let body = WebhookFixtures.attached()
        #expect(try await post(body, headers: WebhookFixtures.headers(for: body, timestamp: WebhookFixtures.now + offset)).status == .accepted)
    }

    @Test(arguments: [-301, 301, -100_000] as [Int64])
    func timestampsOutsideToleranceAreRefused(offset: Int64) async throws {
        let body = WebhookFixtures.attached()
        let reply = try await post(body, headers: WebhookFixtures.headers(for: body, timestamp: WebhookFixtures.now + offset))
        expectError(reply, .unauthorized, type: "unauthenticated", code: "timestampOutOfTolerance")
        #expect(try await storedEvents().isEmpty)
    }

    @Test func aWrongSecretIsRefused() async throws {
        let body = WebhookFixtures.attached()
        let reply = try await post(body, headers: WebhookFixtures.headers(for: body, secret: WebhookSecret(key: Array("wrong".utf8))))
        expectError(reply, .unauthorized, type: "unauthenticated", code: "invalidSignature")
        #expect(try await storedEvents().isEmpty)
    }

    @Test func aTamperedBodyIsRefused() async throws {
        let body = WebhookFixtures.attached()
        let reply = try await post(body.replacingOccurrences(of: "1499", with: "0000"), headers: WebhookFixtures.headers(for: body))
        expectError(reply, .unauthorized, type: "unauthenticated", code: "invalidSignature")
    }

    @Test func missingSignatureHeadersAreRefused() async throws {
        let reply = try await post(WebhookFixtures.attached(), headers: [.contentType: "application/json"])
        expectError(reply, .unauthorized, type: "unauthenticated", code: "missingSignature")
        #expect(try await storedEvents().isEmpty)
    }

    @Test func aBodyThatIsNotJSONIs400() async throws {
        let reply = try await post("this is not json {")
        expectError(reply, .badRequest, type: "malformed")
        #expect(try await storedEvents().isEmpty)
    }

    @Test func aMissingFieldIs422NamingIt() async throws {
        let body = WebhookFixtures.attached().replacingOccurrences(of: #""subscription":"sub_1","#, with: "")
        let reply = try await post(body)
        expectError(reply, .unprocessableContent, type: "invalid", code: "missingField")
        #expect(reply.json?["hint"]?.stringValue?.contains("data.subscription") == true)
        #expect(try await storedEvents().isEmpty)
    }

    @Test func anUnknownActivationTriggerIs422() async throws {
        let body = WebhookFixtures.attached().replacingOccurrences(of: "usageStarted", with: "onFullMoon")
        expectError(try await post(body), .unprocessableContent, type: "invalid", code: "unknownActivationTrigger")
    }

    @Test func aBodyOneByteOver256KiBIs413() async throws {
        let prefix = #"{"pad":""#
        let body = prefix + String(repeating: "x", count: 256 * 1024 + 1 - prefix.utf8.count - 2) + #""}"#
        #expect(body.utf8.count == 256 * 1024 + 1)
        expectError(try await post(body), .contentTooLarge, type: "payloadTooLarge")
        #expect(try await storedEvents().isEmpty)
    }

    @Test func aBodyOfExactly256KiBIsRead() async throws {
        let prefix = #"{"pad":""#
        let body = prefix + String(repeating: "x", count: 256 * 1024 - prefix.utf8.count - 2) + #""}"#
        // Read and judged on content (not an event), not refused for its size.
        expectError(try await post(body), .unprocessableContent, type: "invalid")
    }

    @Test func aNonJSONContentTypeIs415() async throws {
        let body = WebhookFixtures.attached()
        let reply = try await post(body, headers: WebhookFixtures.headers(for: body, contentType: "text/plain"))
        expectError(reply, .unsupportedMediaType, type: "unsupportedMediaType")
        #expect(try await storedEvents().isEmpty)
    }

    @Test func jsonContentTypesWithParametersAreAccepted() async throws {
        let body = WebhookFixtures.attached()
        #expect(try await post(body, headers: WebhookFixtures.headers(for: body, contentType: "application/json; charset=utf-8")).status == .accepted)
    }

    /// A fault of the database (here: the inbox table is gone) is not the event's fault: 503, so
    /// the provider retries, never a 4xx that would make it give up.
    @Test func aDatabaseFaultIs503NotA4xx() async throws {
        try await pool.withConnection { try $0.simpleQuery("DROP TABLE events CASCADE") }
        let reply = try await post(WebhookFixtures.attached())
        expectError(reply, .serviceUnavailable, type: "unavailable")
        #expect(reply.headers[.retryAfter] == "5")
    }

    @Test func unknownRoutesAnswerWithTheErrorObject() async throws {
        let reply = try await app.test(.router) { client in
            try await client.execute(uri: "/nope", method: .get) { response in
                Reply(status: response.status, json: try? JSONValue(parsing: Array(response.body.readableBytesView)), headers: response.headers)
            }
        }
        expectError(reply, .notFound, type: "notFound")
    }
}
