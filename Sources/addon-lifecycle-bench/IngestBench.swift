import ArgumentParser
import StandardWebhooks
import Foundation
import Ingest
import Synchronization

/// Drives signed webhooks at a running server from this separate process and prints accepted
/// events/s and latency percentiles. Closed loop: each connection sends its next request when the
/// previous answer arrives; `--rate` paces the total offered load instead.
struct IngestBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Signed-webhook load against a running `addon-lifecycle serve` (POST /webhooks).")

    @Option(help: "Server address.") var host = "127.0.0.1"
    @Option(help: "Server port.") var port: UInt16 = 8080
    @Option(help: "Signing secret (whsec_…), the server's WEBHOOK_SECRETS.") var secret: String
    @Option(help: "Concurrent keep-alive connections.") var connections = 32
    @Option(help: "Seconds to run.") var seconds: Double = 10
    @Option(help: "Distinct subscriptions the events spread over.") var subscriptions = 10_000
    @Option(help: "Offered events/s in total (0 = as fast as the server answers).") var rate: Double = 0
    @Option(help: "Requests signed before the clock starts, per connection (more are signed on the fly).") var presigned = 0

    func run() throws {
        guard let secret = WebhookSecret(secret) else { throw ValidationError("--secret must be whsec_<base64>") }
        let runID = String(UInt32.random(in: .min ... .max), radix: 36)
        let results = Mutex<[ConnectionResult]>([])
        let perConnectionInterval = rate > 0 ? Double(connections) / rate : 0
        // Sign ahead so the generator spends the measured seconds on the socket, not on HMAC and
        // string building (signatures stay valid for the server's 5-minute tolerance).
        let ahead = presigned > 0 ? presigned : Int((rate > 0 ? rate : 40_000) * seconds) / connections + 1
        let prepared = (0..<connections).map { connection in
            (1...ahead).map { sequence in Self.request(connection: connection, sequence: sequence, runID: runID, host: host, secret: secret, subscriptions: subscriptions) }
        }
        let deadline = Date().addingTimeInterval(seconds)
        let group = DispatchGroup()
        let started = Date()
        for connection in 0..<connections {
            group.enter()
            let requests = prepared[connection]
            let thread = Thread {
                let result = Self.drive(connection: connection, runID: runID, host: host, port: port, secret: secret, prepared: requests,
                                        subscriptions: subscriptions, deadline: deadline, interval: perConnectionInterval)
                results.withLock { $0.append(result) }
                group.leave()
            }
            thread.start()
        }
        group.wait()
        let elapsed = Date().timeIntervalSince(started)
        let all = results.withLock { $0 }
        let latencies = all.flatMap(\.latenciesMicroseconds).map { Double($0) / 1000 }.sorted()
        var statuses: [Int: Int] = [:]
        for result in all { statuses.merge(result.statuses, uniquingKeysWith: +) }
        let accepted = statuses[202, default: 0]
        print(String(format: "ingest: %d connections, %.1fs, %d requests", connections, elapsed, latencies.count))
        print(String(format: "accepted (202, durably committed): %.0f events/s", Double(accepted) / elapsed))
        print(String(format: "latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f", latencies.percentile(0.5), latencies.percentile(0.9), latencies.percentile(0.99), latencies.percentile(1)))
        print("statuses: " + statuses.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        if let failure = all.compactMap(\.failure).first { print("first connection error: \(failure)") }
    }

    struct ConnectionResult: Sendable {
        var latenciesMicroseconds: [Int] = []
        var statuses: [Int: Int] = [:]
        var failure: String?
    }

    static func drive(connection: Int, runID: String, host: String, port: UInt16, secret: WebhookSecret, prepared: [[UInt8]],
                      subscriptions: Int, deadline: Date, interval: Double) -> ConnectionResult {
        let client = HTTPLoadClient(host: host, port: port)
        var result = ConnectionResult()
        result.latenciesMicroseconds.reserveCapacity(prepared.count)
        var next = Date()
        var sequence = 0
        while Date() < deadline {
            if interval > 0 {
                let wait = next.timeIntervalSinceNow
                if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
                next = next.addingTimeInterval(interval)
            }
            sequence += 1
            let request = sequence <= prepared.count
                ? prepared[sequence - 1]
                : Self.request(connection: connection, sequence: sequence, runID: runID, host: host, secret: secret, subscriptions: subscriptions)
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                let status = try client.send(request)
                result.latenciesMicroseconds.append(Int((DispatchTime.now().uptimeNanoseconds - start) / 1000))
                result.statuses[status, default: 0] += 1
            } catch {
                result.failure = "\(error)"
                usleep(100_000)
            }
        }
        return result
    }

    /// The `sequence`th event of a connection: a unique id, a random subscription.
    static func request(connection: Int, sequence: Int, runID: String, host: String, secret: WebhookSecret, subscriptions: Int) -> [UInt8] {
        let id = "evt_\(runID)_\(connection)_\(sequence)"
        return request(id: id, subscription: "sub_\(Int.random(in: 0..<subscriptions))", sad: "sad_\(id)", host: host, secret: secret)
    }

    /// A `subscriptionAddon.created` event, signed now, as raw HTTP/1.1 bytes.
    static func request(id: String, subscription: String, sad: String, host: String, secret: WebhookSecret) -> [UInt8] {
        signedRequest(id: id, body: createdBody(id: id, subscription: subscription, sad: sad), host: host, secret: secret)
    }

    /// The body of a `subscriptionAddon.created` event for a paid Europe week pass (network latch).
    static func createdBody(id: String, subscription: String, sad: String) -> String {
        """
            {"object":"event","id":"\(id)","type":"com.gigs.subscriptionAddon.created","time":"2025-12-15T10:30:00Z",\
            "project":"bench","specversion":"1.0","source":"https://api.gigs.com","datacontenttype":"application/json",\
            "data":{"object":"subscriptionAddon","id":"\(sad)","subscription":"\(subscription)",\
            "addon":{"object":"addon","id":"add_europe_week","name":"1GB Europe Week Pass","type":"topUp","activationTrigger":"networkLatch",\
            "coverage":{"object":"coverage","id":"cp_europe_zone_1","countries":["DE","FR","IT","ES","PL","NL"],"name":"Europe Zone 1"},\
            "validity":{"unit":"day","value":7},"allowances":{"dataBytes":1000000000,"voiceSeconds":null,"smsMessages":null},\
            "price":{"amount":499,"currency":"USD"}}}}
            """
    }

    /// `POST /webhooks` with `body`, signed now with `id`, as raw HTTP/1.1 bytes.
    static func signedRequest(id: String, body: String, host: String, secret: WebhookSecret) -> [UInt8] {
        let bytes = Array(body.utf8)
        let timestamp = Int64(Date().timeIntervalSince1970)
        let signature = WebhookVerifier.sign(id: id, timestamp: timestamp, body: bytes, secret: secret)
        let head = "POST /webhooks HTTP/1.1\r\nHost: \(host)\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\n"
            + "webhook-id: \(id)\r\nwebhook-timestamp: \(timestamp)\r\nwebhook-signature: \(signature)\r\n\r\n"
        return Array(head.utf8) + bytes
    }
}
