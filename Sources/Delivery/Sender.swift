import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import StandardWebhooks
import Store
import Synchronization

/// Sends one message per attempt through the process's one HTTP client (its connection pool keeps
/// connections alive between messages to the same endpoint). An attempt costs bounded time and
/// memory whatever the receiver does: the whole attempt has `requestTimeout`, redirects are not
/// followed, and at most `responseBodyLimit` bytes of the answer are read (a larger body's
/// connection is closed, not drained).
///
/// Destinations are checked twice: the host is resolved and every address checked before the
/// attempt, and the address the client actually connected to is checked before a byte of the
/// request is written. async-http-client offers no hook between its own resolution and the
/// connect, so a name that rebinds between the two checks can reach a private address with a
/// TCP connect (and, for https, a TLS client hello), never with a request.
final class Sender: Sendable {
    let client: HTTPClient
    private let configuration: DeliveryConfiguration
    private let policy: RetryPolicy
    /// Destinations checked recently, by URL: an attempt resolves its host before connecting (the
    /// connection is checked again once made, see `init`).
    private let checked = Mutex<[String: (problem: Destination.Problem?, at: ContinuousClock.Instant)]>([:])

    init(configuration: DeliveryConfiguration) {
        self.configuration = configuration
        self.policy = RetryPolicy(configuration)
        var http = HTTPClient.Configuration()
        http.redirectConfiguration = .disallow
        http.timeout = .init(connect: .seconds(5), read: TimeAmount(configuration.requestTimeout), write: TimeAmount(configuration.requestTimeout))
        http.connectionPool = .init(idleTimeout: .seconds(55), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, configuration.concurrency))
        // A blocked address fails the attempt at once, and a connection the check closed must not
        // be retried in the background.
        http.connectionPool.retryConnectionEstablishment = false
        http.httpVersion = .http1Only
        http.decompression = .disabled
        http.proxy = nil
        if !configuration.allowPrivateDestinations {
            // The address actually connected to, after DNS and before any byte of the request: a
            // name that resolved elsewhere since the endpoint was checked is refused here.
            let check: @Sendable (any Channel) -> EventLoopFuture<Void> = { channel in
                guard Destination.isAllowed(channel.remoteAddress) else {
                    let peer = channel.remoteAddress?.ipAddress ?? "a local address"
                    channel.close(promise: nil)
                    return channel.closeFuture.flatMapThrowing { throw Destination.Problem(description: "refused to connect to \(peer): not public") }
                }
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            http.http1_1ConnectionDebugInitializer = check
            http.http2ConnectionDebugInitializer = check
        }
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http)
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    /// One attempt at `message`, and what follows it.
    func attempt(_ message: WebhookMessages.Claimed) async -> WebhookMessages.Completion {
        let attemptedAt = Date()
        let started = ContinuousClock.now
        var statusCode: Int?
        var retryAfter: String?
        var body: [UInt8] = []
        var failure: String?
        if let problem = await destinationProblem(message.url) {
            failure = problem.description
        } else {
            do {
                (statusCode, retryAfter, body) = try await send(message, timestamp: Int64(attemptedAt.timeIntervalSince1970))
            } catch {
                failure = Self.describe(error)
            }
        }
        let elapsed = ContinuousClock.now - started
        let next = policy.next(statusCode: statusCode, retryAfter: RetryPolicy.retryAfter(retryAfter, now: Date()),
                               attempts: message.attempts + 1, jitter: policy.randomJitter)
        if failure == nil, let statusCode, (300..<400).contains(statusCode) { failure = "redirect (\(statusCode)) not followed" }
        return WebhookMessages.Completion(
            message: message, next: next, attemptedAt: attemptedAt, statusCode: statusCode,
            durationMs: Int(elapsed.components.seconds * 1_000 + elapsed.components.attoseconds / 1_000_000_000_000_000),
            error: failure.map(Self.storable), responseBody: body.isEmpty ? nil : Self.storable(String(decoding: body, as: UTF8.self)))
    }

    /// Text PostgreSQL can store: a receiver may answer with NUL bytes (UTF-16, binary), which a
    /// `text` column refuses; each becomes U+FFFD, as invalid UTF-8 already has.
    static func storable(_ text: String) -> String {
        guard text.utf8.contains(0) else { return text }
        return String(text.unicodeScalars.map { $0 == "\0" ? "\u{FFFD}" : Character($0) })
    }

    /// Why `url` may not be sent to, checked at most every 10 s per URL; nil when it may (always,
    /// with private destinations allowed).
    private func destinationProblem(_ url: String) async -> Destination.Problem? {
        guard !configuration.allowPrivateDestinations else { return nil }
        let now = ContinuousClock.now
        if let known = checked.withLock({ $0[url] }), now - known.at < .seconds(10) { return known.problem }
        let problem = await Destination.check(url, allowPrivate: false)
        checked.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[url] = (problem, now)
        }
        return problem
    }

    /// The status, `Retry-After` and the first bytes of the answer, all within `requestTimeout`.
    private func send(_ message: WebhookMessages.Claimed, timestamp: Int64) async throws -> (Int, String?, [UInt8]) {
        let payload = Array(message.payload.utf8)
        var request = HTTPClientRequest(url: message.url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "addon-lifecycle")
        request.headers.add(name: "webhook-id", value: message.eventID)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        let signatures = message.secrets.compactMap(WebhookSecret.init).map {
            WebhookVerifier.sign(id: message.eventID, timestamp: timestamp, body: payload, secret: $0)
        }
        request.headers.add(name: "webhook-signature", value: signatures.joined(separator: " "))
        request.body = .bytes(ByteBuffer(bytes: payload))
        let limit = configuration.responseBodyLimit
        // The whole attempt, not just the wait for the head, has `requestTimeout`: the caller's
        // task is cancelled past it (`DeliveryService`'s watchdog), which cancels the request.
        let response = try await client.execute(request, timeout: TimeAmount(configuration.requestTimeout))
        var kept: [UInt8] = []
        // Reads until `limit` bytes or the end: stopping early closes the connection.
        for try await chunk in response.body {
            kept += chunk.readableBytesView.prefix(limit - kept.count)
            if kept.count >= limit { break }
        }
        return (Int(response.status.code), response.headers.first(name: "retry-after"), kept)
    }

    struct AttemptTimedOut: Error, CustomStringConvertible {
        var timeout: Duration
        var description: String { "no complete answer within \(timeout)" }
    }

    /// A short, stable description of why an attempt failed (stored and shown to operators).
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout:
            return "no answer in time"
        case let error as HTTPClientError where error == .connectTimeout:
            return "connection timed out"
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            return "connection closed by the receiver"
        case let error as Destination.Problem:
            return error.description
        case is AttemptTimedOut, is CancellationError:
            return "no complete answer in time"
        default:
            return String(String(describing: error).prefix(300))
        }
    }
}
