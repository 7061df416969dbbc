import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import Postgres
import Store
import TestSupport
import Testing

/// The doors of every HTTP port (`HTTPLimits`), probed over raw sockets against a live server with
/// short limits: a stalled head is closed, a stalled or trickled body gets 408, an idle connection
/// is closed, and a normal client is served throughout. Bounds on the answers are generous: what is
/// checked is that each connection ends and how, not how fast.
@Suite struct ConnectionLimitsTests {
    static let short = HTTPLimits(headerTimeout: .seconds(1), bodyTimeout: .seconds(1), minimumBodyRate: 1 << 30, idleTimeout: .seconds(2))

    static func application(_ label: String, limits: HTTPLimits) async throws -> some ApplicationProtocol {
        let pool = try await TestDatabase.pool(label, size: 2)
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        return HTTPApplication.application(
            .init(hostname: "127.0.0.1", port: 0, verifier: nil, apiToken: "tok", limits: limits), pool: pool, logger: TestDatabase.logger)
    }

    @Test func stalledAndTricklingClientsAreCutOffWhileOthersAreServed() async throws {
        let app = try await Self.application("limits_deadlines", limits: Self.short)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // Heads that stop after a few headers (slowloris).
            let stalled = try (0..<40).map { _ in try RawConnection(port: port) }
            for connection in stalled { connection.send("POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n") }
            // A body that stops after 5 of its 1,000 declared bytes.
            let short = try RawConnection(port: port)
            short.send("POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"id\"")
            // A body trickled a byte every 200 ms: it never idles, so only a deadline ends it.
            let trickled = try RawConnection(port: port)
            trickled.send("POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
            let trickle = Task {
                for _ in 0..<1_000 {
                    guard trickled.send(" ") else { return }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            // Connected, never a byte.
            let silent = try RawConnection(port: port)

            for _ in 0..<6 {
                let status = try await client.execute(uri: "/healthz", method: .get) { $0.status }
                #expect(status == .ok)
                try await Task.sleep(for: .milliseconds(300))
            }
            for connection in stalled {
                #expect(await connection.readUntilClosed() == "", "a stalled head is closed without an answer")
            }
            for connection in [short, trickled] {
                let reply = try #require(await connection.readUntilClosed(), "the connection was left open")
                #expect(reply.hasPrefix("HTTP/1.1 408"), "\(reply)")
                #expect(reply.lowercased().contains("connection: close"))
                #expect(reply.contains(#""type":"requestTimeout""#))
            }
            trickle.cancel()
            #expect(await silent.readUntilClosed() == "", "an idle connection is closed")
            let status = try await client.execute(uri: "/healthz", method: .get) { $0.status }
            #expect(status == .ok)
        }
    }

    @Test func aKeepAliveConnectionIsServedThenClosedWhenIdle() async throws {
        let app = try await Self.application("limits_idle", limits: Self.short)
        try await app.test(.live) { client in
            let connection = try RawConnection(port: try #require(client.port))
            connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            try await Task.sleep(for: .milliseconds(500))
            connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let replies = try #require(await connection.readUntilClosed())
            #expect(replies.components(separatedBy: "HTTP/1.1 200").count == 3, "\(replies)")
        }
    }

    @Test func connectionsPastTheCapAreAnswered503() async throws {
        var limits = Self.short
        limits.idleTimeout = .seconds(30)
        limits.maxConnections = 3
        let app = try await Self.application("limits_cap", limits: limits)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let held = try (0..<3).map { _ in try RawConnection(port: port) }
            try await Task.sleep(for: .milliseconds(200))
            let extra = try RawConnection(port: port)
            extra.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let reply = try #require(await extra.readUntilClosed())
            #expect(reply.hasPrefix("HTTP/1.1 503"), "\(reply)")
            #expect(reply.contains("tooManyConnections") && reply.contains("Retry-After") || reply.contains("retry-after"))
            for connection in held { connection.close() }
            try await Task.sleep(for: .milliseconds(300))
            let next = try RawConnection(port: port)
            next.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(await next.readUntilClosed()?.hasPrefix("HTTP/1.1 200") == true, "served again once connections closed")
        }
    }

    @Test func unsignedBodiesInFlightStayWithinTheirBudget() async throws {
        var limits = Self.short
        limits.unsignedBodyBudget = 3_000
        let app = try await Self.application("limits_budget", limits: limits)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // A body that stalls after 2,500 of its bytes holds them; a client that only declares a
            // large body holds nothing.
            let declarer = try RawConnection(port: port)
            declarer.send("POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200000\r\n\r\n")
            let hoarder = try RawConnection(port: port)
            hoarder.send("POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2600\r\n\r\n{" + String(repeating: " ", count: 2_499))
            // Until the server has read the hoarder's bytes (on a busy machine that takes a while): a
            // body that still fits is read and refused for what it is, then the budget refuses it.
            let body = "{" + String(repeating: " ", count: 1_498) + "}"
            var refused: (HTTPResponse.Status, String?, String) = (.ok, nil, "")
            for _ in 0..<100 {
                refused = try await client.execute(uri: "/webhooks", method: .post, headers: [.contentType: "application/json"],
                                                   body: ByteBuffer(string: body)) { ($0.status, $0.headers[.retryAfter], String(buffer: $0.body)) }
                if refused.0 == .serviceUnavailable { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(refused.0 == .serviceUnavailable && refused.1 != nil && refused.2.contains(#""code":"busy""#), "\(refused)")
            #expect(await hoarder.readUntilClosed()?.hasPrefix("HTTP/1.1 408") == true)
            #expect(await declarer.readUntilClosed()?.hasPrefix("HTTP/1.1 408") == true)
            // Its bytes are back in the budget: the same body is read (and refused for what it is).
            let read = try await client.execute(uri: "/webhooks", method: .post, headers: [.contentType: "application/json"],
                                                body: ByteBuffer(string: body)) { $0.status }
            #expect(read == .unprocessableContent || read == .badRequest)
        }
    }
}
