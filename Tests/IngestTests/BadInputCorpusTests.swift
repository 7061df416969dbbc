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

/// Hostile and broken input through the real endpoint: every answer is a 4xx error object, never
/// a 5xx or a crash, and nothing is stored.
@Suite(.timeLimit(.minutes(2)))
struct BadInputCorpusTests {
    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var body: [UInt8]
        /// Signed correctly unless changed here.
        var headers: @Sendable ([UInt8]) -> HTTPFields = { BadInputCorpusTests.signed($0) }
    }

    static func signed(_ body: [UInt8], id: String = "msg_corpus", timestamp: Int64 = WebhookFixtures.now,
                       secret: WebhookSecret = WebhookFixtures.secret) -> HTTPFields {
        var fields = HTTPFields()
        fields[HTTPField.Name("webhook-id")!] = id
        fields[HTTPField.Name("webhook-timestamp")!] = String(timestamp)
        fields[HTTPField.Name("webhook-signature")!] = WebhookVerifier.sign(id: id, timestamp: timestamp, body: body, secret: secret)
        fields[.contentType] = "application/json"
        return fields
    }

    /// The valid headers of `body` with one signature header rewritten.
    static func signed(_ body: [UInt8], rewriting name: String, _ rewrite: (String) -> String) -> HTTPFields {
        var fields = signed(body)
        let field = HTTPField.Name(name)!
        fields[field] = rewrite(fields[field]!)
        return fields
    }

    static func valid(_ edit: (inout String) -> Void = { _ in }) -> [UInt8] {
        var text = WebhookFixtures.attached(id: "evt_corpus")
        edit(&text)
        return Array(text.utf8)
    }

    static func replacing(_ old: String, _ new: String) -> [UInt8] {
        valid { $0 = $0.replacingOccurrences(of: old, with: new) }
    }

    static let corpus: [Case] = [
        // Malformed JSON.
        Case(description: "empty body", body: []),
        Case(description: "unterminated object", body: Array("{".utf8)),
        Case(description: "missing value", body: Array(#"{"id":}"#.utf8)),
        Case(description: "trailing comma", body: replacing(#""project":"gigs","#, #""project":"gigs",,"#)),
        Case(description: "not an object", body: Array("[]".utf8)),
        Case(description: "a bare string", body: Array(#""event""#.utf8)),
        Case(description: "NaN", body: replacing(#""amount":"#, #""amount":NaN,"x":"#)),
        Case(description: "a comment", body: Array("/* hi */ {}".utf8)),
        Case(description: "two documents", body: valid() + valid()),
        // Deep nesting.
        Case(description: "100,000 nested arrays", body: Array(repeating: UInt8(ascii: "["), count: 100_000)),
        Case(description: "10,000 nested objects", body: Array(String(repeating: #"{"a":"#, count: 10_000).utf8) + Array("1".utf8) + Array(repeating: UInt8(ascii: "}"), count: 10_000)),
        Case(description: "deep nesting inside data", body: replacing(#""data":{"#, #""deep":"# + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000) + #","data":{"#)),
        // Huge and odd numbers.
        Case(description: "1e999999 as a price", body: replacing(#""amount":1499"#, #""amount":1e999999"#)),
        Case(description: "a 400-digit price", body: replacing(#""amount":1499"#, #""amount":"# + String(repeating: "9", count: 400))),
        Case(description: "a fractional validity", body: replacing(#""value":14"#, #""value":7.5"#)),
        Case(description: "a huge validity", body: replacing(#""value":14"#, #""value":100000000000000000000"#)),
        Case(description: "a negative validity", body: replacing(#""value":14"#, #""value":-7"#)),
        // Invalid UTF-8 and hazardous text.
        Case(description: "invalid UTF-8 in a string", body: Array(#"{"object":"event","id":"evt_"#.utf8) + [0xC3, 0x28] + Array(#"","type":"x"}"#.utf8)),
        Case(description: "an overlong encoding", body: Array(#"{"object":"event","id":"evt_"#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8)),
        Case(description: "a lone surrogate", body: replacing(#""id":"evt_corpus""#, #""id":"evt_\ud800""#)),
        Case(description: "a NUL escape", body: replacing(#""id":"evt_corpus""#, #""id":"evt_\u0000""#)),
        Case(description: "a raw control character", body: replacing(#""id":"evt_corpus""#, "\"id\":\"evt_\u{01}\"")),
        Case(description: "a duplicate key", body: replacing(#""project":"gigs","#, #""project":"gigs","project":"other","#)),
        // Wrong types.
        Case(description: "id as a number", body: replacing(#""id":"evt_corpus""#, #""id":42"#)),
        Case(description: "time as a number", body: replacing(#""time":"2025-12-15T10:30:00Z""#, #""time":1765794600"#)),
        Case(description: "time not RFC 3339", body: replacing(#""time":"2025-12-15T10:30:00Z""#, #""time":"15/12/2025""#)),
        Case(description: "data as an array", body: valid { $0 = $0.replacingOccurrences(of: #""data":{"#, with: #""data":[{"#).replacingOccurrences(of: "}}}", with: "}}]}") }),
        Case(description: "countries as a string", body: replacing(#""countries":["JP"]"#, #""countries":"JP""#)),
        Case(description: "a bad country code", body: replacing(#""countries":["JP"]"#, #""countries":["Japan"]"#)),
        Case(description: "an unknown trigger", body: replacing(#""activationTrigger":"usageStarted""#, #""activationTrigger":"whenever""#)),
        Case(description: "an unknown validity unit", body: replacing(#""unit":"day""#, #""unit":"fortnight""#)),
        Case(description: "an id with spaces", body: replacing(#""id":"evt_corpus""#, #""id":"evt corpus""#)),
        Case(description: "a 300-byte id", body: replacing(#""id":"evt_corpus""#, "\"id\":\"evt_" + String(repeating: "x", count: 300) + "\"")),
        // Missing fields.
        Case(description: "no id", body: replacing(#""id":"evt_corpus","#, "")),
        Case(description: "no time", body: replacing(#""time":"2025-12-15T10:30:00Z","#, "")),
        Case(description: "no data", body: Array(#"{"object":"event","id":"evt_corpus","type":"com.gigs.invoice.paid","time":"2025-12-15T10:30:00Z","project":"gigs"}"#.utf8)),
        Case(description: "no activationTrigger", body: replacing(#""activationTrigger":"usageStarted","#, "")),
        // Oversized.
        Case(description: "256 KiB + 1", body: Array(repeating: UInt8(ascii: " "), count: 256 * 1024 - 1) + Array("{}".utf8)),
        // Signatures.
        Case(description: "no signature headers", body: valid(), headers: { _ in [.contentType: "application/json"] }),
        Case(description: "another secret", body: valid(), headers: { signed($0, secret: WebhookSecret(key: Array("not-ours".utf8))) }),
        Case(description: "the signature of another body", body: valid(), headers: { _ in signed(replacing("evt_corpus", "evt_other")) }),
        Case(description: "the signature of another id", body: valid(), headers: { signed($0, rewriting: "webhook-id") { _ in "msg_other" } }),
        Case(description: "a v2 scheme", body: valid(), headers: {
            signed($0, rewriting: "webhook-signature") { $0.replacingOccurrences(of: "v1,", with: "v2,") }
        }),
        Case(description: "garbage base64", body: valid(), headers: { signed($0, rewriting: "webhook-signature") { _ in "v1,!!!not-base64!!!" } }),
        Case(description: "ten thousand signature entries", body: valid(), headers: {
            signed($0, rewriting: "webhook-signature") { Array(repeating: "v1,AAAA", count: 10_000).joined(separator: " ") + " " + $0 }
        }),
        Case(description: "signed 301 s ago", body: valid(), headers: { signed($0, timestamp: WebhookFixtures.now - 301) }),
        Case(description: "signed 301 s ahead", body: valid(), headers: { signed($0, timestamp: WebhookFixtures.now + 301) }),
        Case(description: "a timestamp in milliseconds", body: valid(), headers: { signed($0, timestamp: WebhookFixtures.now * 1000) }),
        Case(description: "a negative timestamp", body: valid(), headers: { signed($0, timestamp: -1) }),
        Case(description: "an id header with a dot", body: valid(), headers: { body in
            // `a.b` + `.ts.` would sign the same bytes as id `a` and a timestamp `b.ts`: refused anyway.
            var fields = signed(body, id: "msg.1765794700")
            fields[HTTPField.Name("webhook-timestamp")!] = "x"
            return fields
        }),
        Case(description: "a repeated timestamp header", body: valid(), headers: { body in
            var fields = signed(body)
            fields.append(HTTPField(name: HTTPField.Name("webhook-timestamp")!, value: String(WebhookFixtures.now)))
            return fields
        }),
        // Content type.
        Case(description: "text/plain", body: valid(), headers: { body in
            var fields = signed(body)
            fields[.contentType] = "text/plain"
            return fields
        }),
    ]

    @Test func everyBadRequestGetsA4xxErrorObjectAndStoresNothing() async throws {
        let pool = try await TestDatabase.pool("bad_input", size: 2)
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        let app = Application(router: IngestApplication.router(
            committer: GroupCommitter(pool: pool, logger: TestDatabase.logger),
            verifier: WebhookVerifier(secrets: [WebhookFixtures.secret]), now: { WebhookFixtures.now }))
        try await app.test(.router) { client in
            for item in Self.corpus {
                let (status, body) = try await client.execute(uri: "/webhooks", method: .post, headers: item.headers(item.body),
                                                              body: ByteBuffer(bytes: item.body)) { ($0.status, String(buffer: $0.body)) }
                #expect((400..<500).contains(status.code), "\(item): \(status)")
                let json = try? JSONValue(parsing: body)
                #expect(json?["object"] == "error", "\(item): \(body.prefix(200))")
                #expect(json?["type"]?.stringValue?.isEmpty == false, "\(item)")
            }
        }
        let stored = try await pool.withConnection { try $0.query("SELECT count(*) FROM events")[0].decode(Int.self, column: 0) }
        #expect(stored == 0)
    }

    /// CR/LF inside a header value cannot be built with HTTPTypes, so it goes over a raw socket to
    /// a live server: the parser refuses it, the server stays up and stores nothing.
    @Test func headerInjectionOverARawSocket() async throws {
        let pool = try await TestDatabase.pool("bad_input_raw", size: 2)
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        let app = Application(router: IngestApplication.router(
            committer: GroupCommitter(pool: pool, logger: TestDatabase.logger),
            verifier: WebhookVerifier(secrets: [WebhookFixtures.secret]), now: { WebhookFixtures.now }),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let body = Self.valid()
            let signature = Self.signed(body)[HTTPField.Name("webhook-signature")!]!
            let injected = [
                "webhook-id: msg_corpus\r\nwebhook-id: msg_other",
                "webhook-id: msg_corpus\rX-Injected: 1",
                "webhook-id: msg_corpus\nX-Injected: 1",
                "webhook-id: msg\0corpus",
            ]
            for header in injected {
                let request = Array("POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\(header)\r\nwebhook-timestamp: \(WebhookFixtures.now)\r\nwebhook-signature: \(signature)\r\n\r\n".utf8) + body
                let status = try Self.rawStatus(port: port, request: request)
                #expect(status.map { (400..<500).contains($0) } ?? true, "\(header.debugDescription): \(String(describing: status))")
            }
            // A declared length over 256 KiB is refused before the body is read.
            let huge = Array("POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n".utf8) + body
            #expect(try Self.rawStatus(port: port, request: huge) == 413)
            // Still serving.
            let health = try Self.rawStatus(port: port, request: Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            #expect(health == 200)
        }
        let stored = try await pool.withConnection { try $0.query("SELECT count(*) FROM events")[0].decode(Int.self, column: 0) }
        #expect(stored == 0)
    }

    /// The status of the first response, or nil when the server closed the connection instead.
    static func rawStatus(port: Int, request: [UInt8]) throws -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw CocoaError(.fileReadUnknown) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 12 else { return nil }
        return Int(String(decoding: buffer[9..<12], as: UTF8.self))
    }
}
