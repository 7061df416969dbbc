import API
import Delivery
import EventFormat
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import Lifecycle
import Logging
import Postgres
import ServiceLifecycle
import StandardWebhooks
import Store
import Synchronization
import TestSupport
import Testing

/// A real HTTP receiver on 127.0.0.1 that records every request and answers as told.
final class Receiver: Sendable {
    struct Received: Sendable {
        var id: String
        var timestamp: String
        var signature: String
        var body: String
        var json: JSONValue? { try? JSONValue(parsing: body) }
    }

    /// How to answer one request (`attempt`: how many times this `webhook-id` came, this one included).
    enum Reply: Sendable {
        case status(Int, headers: [(String, String)] = [], body: String = "")
        /// Never answer (until the test ends).
        case hang
        /// 200 with this many bytes of body.
        case huge(Int)
    }

    /// Every request, in arrival order.
    final class Log: Sendable {
        let entries = Mutex<[Received]>([])
    }

    let port: Int
    private let log: Log
    private let running: Task<Void, any Error>

    static func start(_ answer: @escaping @Sendable (Received, Int) -> Reply = { _, _ in .status(200) }) async throws -> Receiver {
        let (ports, reportPort) = AsyncStream.makeStream(of: Int.self)
        let log = Log()
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            func header(_ name: String) -> String { HTTPField.Name(name).flatMap { request.headers[$0] } ?? "" }
            let received = Received(id: header("webhook-id"), timestamp: header("webhook-timestamp"), signature: header("webhook-signature"),
                                    body: String(buffer: body))
            let attempt = log.entries.withLock { entries in
                entries.append(received)
                return entries.filter { $0.id == received.id }.count
            }
            switch answer(received, attempt) {
            case .status(let code, let headers, let text):
                var fields = HTTPFields()
                for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
                return Response(status: .init(code: code), headers: fields, body: .init(byteBuffer: ByteBuffer(string: text)))
            case .hang:
                try await Task.sleep(for: .seconds(120))
                return Response(status: .ok)
            case .huge(let size):
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(repeating: UInt8(ascii: "x"), count: size)))
            }
        }
        // Stopping a receiver cancels its server, which Hummingbird reports as errors: not news.
        var logger = Logger(label: "receiver")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in reportPort.yield(channel.localAddress?.port ?? 0) },
                              logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        return Receiver(port: port, log: log, running: running)
    }

    private init(port: Int, log: Log, running: Task<Void, any Error>) {
        self.port = port
        self.log = log
        self.running = running
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }

    var received: [Received] { log.entries.withLock { $0 } }

    func stop() async {
        running.cancel()
        _ = try? await running.value
    }
}

/// A database with the outbox, workers folded by hand (deterministic) and a delivery service.
struct DeliveryHarness {
    static let token = "tok_delivery"
    let pool: PostgresPool
    let api: Application<RouterResponder<BasicRequestContext>>

    init(_ label: String, allowPrivate: Bool = true) async throws {
        pool = try await TestDatabase.pool(label, size: 4)
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        api = Application(router: HTTPApplication.router(pool: pool, committer: GroupCommitter(pool: pool, logger: TestDatabase.logger),
                                                         verifier: nil, apiToken: Self.token, allowPrivateDestinations: allowPrivate))
    }

    static func configuration(schedule: [Duration] = [.milliseconds(50), .milliseconds(50), .milliseconds(50)],
                              timeout: Duration = .seconds(15), allowPrivate: Bool = true, concurrency: Int = 256) -> DeliveryConfiguration {
        var configuration = DeliveryConfiguration()
        configuration.concurrency = concurrency
        configuration.retrySchedule = schedule
        configuration.jitter = 0
        configuration.requestTimeout = timeout
        configuration.allowPrivateDestinations = allowPrivate
        configuration.pollInterval = .milliseconds(200)
        return configuration
    }

    /// Runs a delivery service for the body's duration.
    func delivering<T>(_ configuration: DeliveryConfiguration = configuration(), _ body: () async throws -> T) async throws -> T {
        let service = DeliveryService(pool: pool, configuration: configuration, logger: TestDatabase.logger)
        let running = Task { try await service.run() }
        do {
            let value = try await body()
            service.stop()
            try await running.value
            return value
        } catch {
            service.stop()
            _ = try? await running.value
            throw error
        }
    }

    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var json: JSONValue?
    }

    func request(_ uri: String, method: HTTPRequest.Method = .get, body: JSONValue? = nil) async throws -> Reply {
        try await api.test(.router) { client in
            try await client.execute(uri: uri, method: method, headers: [.authorization: "Bearer \(Self.token)", .contentType: "application/json"],
                                     body: body.map { ByteBuffer(bytes: $0.jsonBytes) }) { response in
                Reply(status: response.status, json: try? JSONValue(parsing: Array(response.body.readableBytesView)))
            }
        }
    }

    /// Creates an endpoint through the API; its id and secret.
    func endpoint(_ url: String, eventTypes: [String]? = nil, project: String = "gigs") async throws -> (id: String, secret: String) {
        var body: JSONValue = ["url": .string(url)]
        if let eventTypes { body = ["url": .string(url), "eventTypes": .array(eventTypes.map(JSONValue.string))] }
        let reply = try await request("/projects/\(project)/webhookEndpoints", method: .post, body: body)
        #expect(reply.status == .created, "\(String(describing: reply.json))")
        return (try #require(reply.json?["id"]?.stringValue), try #require(reply.json?["secret"]?.stringValue))
    }

    /// Stores events as ingest does and folds them as the workers do, until nothing is due.
    func ingest(_ bodies: [String]) async throws {
        let records = try bodies.map { InboxRecord(try EventDecoder.decode($0), body: $0) }
        _ = try await pool.withConnection { connection in try EventInbox.insert(records, on: connection) }
        try await fold()
    }

    func fold() async throws {
        while try await pool.withTransaction({ try WorkQueue.processDue(limit: 50, on: $0) }).claimed > 0 {}
    }

    /// Polls until `done` holds (bounded generously), then returns whether it did.
    func wait(_ done: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<300 {
            if try await done() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await done()
    }

    /// Message statuses of an endpoint, oldest first.
    func messages(_ endpoint: String) async throws -> [(id: String, status: String, attempts: Int)] {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT t.event_id, m.status, m.attempts FROM webhook_messages m JOIN transitions t ON t.seq = m.transition_seq
                WHERE m.endpoint_id = $1 ORDER BY m.seq
                """, [endpoint]).map { try $0.decode((String, String, Int).self) }
        }
    }
}

/// Events shaped like the provider's, for one subscription.
enum Events {
    static func envelope(_ id: String, _ type: String, _ time: String, _ data: String) -> String {
        #"{"object":"event","id":"\#(id)","type":"\#(type)","time":"\#(time)","project":"gigs","data":\#(data)}"#
    }

    /// A free week pass that activates at creation.
    static func weekPass(_ id: String, sad: String, subscription: String, at time: String) -> String {
        envelope(id, "com.gigs.subscriptionAddon.created", time, """
            {"id":"\(sad)","subscription":"\(subscription)","addon":{"id":"add_week","name":"Week","activationTrigger":"creation",\
            "validity":{"unit":"day","value":7},"coverage":null,"price":{"amount":0,"currency":"USD"}}}
            """)
    }

    static func canceled(_ id: String, sad: String, subscription: String, at time: String) -> String {
        envelope(id, "com.gigs.subscriptionAddon.canceled", time, #"{"id":"\#(sad)","subscription":"\#(subscription)"}"#)
    }
}
