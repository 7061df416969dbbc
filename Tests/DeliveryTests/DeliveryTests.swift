import Delivery
import EventFormat
import Foundation
import Lifecycle
import Postgres
import StandardWebhooks
import Store
import Synchronization
import TestSupport
import Testing

/// SPEC §6 against real receivers on loopback: what is sent, in which order, how failures are
/// retried, and what operators can do. Waits are bounded generously, never asserted as timings.
@Suite(.timeLimit(.minutes(3)))
struct DeliveryTests {
    static let sub = "sub_deliver"

    /// Verifies a request as a receiver would, with `secret`.
    static func verifies(_ received: Receiver.Received, secret: String) -> Bool {
        let verifier = WebhookVerifier(secrets: [WebhookSecret(secret)!], tolerance: 600)
        let headers = WebhookVerifier.Headers(id: received.id, timestamp: received.timestamp, signature: received.signature)
        return (try? verifier.verify(headers: headers, body: Array(received.body.utf8), now: Int64(Date().timeIntervalSince1970))) != nil
    }

    @Test func transitionsAreSignedAndCarryTheAddonAsOfTheirInstant() async throws {
        let harness = try await DeliveryHarness("deliver_basic")
        let receiver = try await Receiver.start()
        defer { Task { await receiver.stop() } }
        let endpoint = try await harness.endpoint(receiver.url)
        try await harness.delivering {
            try await harness.ingest([Events.weekPass("evt_1", sad: "sad_1", subscription: Self.sub, at: "2025-12-15T10:30:00Z")])
            #expect(try await harness.wait { receiver.received.count >= 2 })
        }
        let received = receiver.received
        #expect(received.map { $0.json?["type"]?.stringValue } == ["com.gigs.subscriptionAddon.activated", "com.gigs.subscriptionAddon.ended"])
        #expect(received.allSatisfy { Self.verifies($0, secret: endpoint.secret) })
        let activated = try #require(received.first?.json)
        #expect(activated["id"]?.stringValue == received.first?.id)
        #expect(activated["time"] == "2025-12-15T10:30:00Z")
        #expect(activated["source"] == "addon-lifecycle" && activated["specversion"] == "1.0" && activated["project"] == "gigs")
        #expect(activated["data"]?["object"] == "subscriptionAddon" && activated["data"]?["status"] == "active")
        #expect(activated["data"]?["currentPeriod"]?["end"] == "2025-12-22T10:30:00Z")
        let ended = try #require(received.last?.json)
        #expect(ended["time"] == "2025-12-22T10:30:00Z" && ended["data"]?["status"] == "ended" && ended["data"]?["endReason"] == "expired")
        #expect(try await harness.messages(endpoint.id).map(\.status) == ["delivered", "delivered"])
    }

    @Test func orderPerSubscriptionHoldsWhileTheReceiverFailsAThirdOfTheTime() async throws {
        let harness = try await DeliveryHarness("deliver_order")
        let receiver = try await Receiver.start { _, _ in Int.random(in: 0..<3) == 0 ? .status(500) : .status(200) }
        defer { Task { await receiver.stop() } }
        let endpoint = try await harness.endpoint(receiver.url)
        // 20 subscriptions with three add-ons each: one activated and ended, one canceled while
        // active, one still active; six messages per subscription.
        var bodies: [String] = []
        for s in 0..<20 {
            let sub = "sub_\(s)"
            bodies.append(Events.weekPass("evt_a\(s)", sad: "sad_a\(s)", subscription: sub, at: "2025-12-15T10:00:00Z"))
            bodies.append(Events.weekPass("evt_b\(s)", sad: "sad_b\(s)", subscription: sub, at: "2025-12-16T10:00:00Z"))
            bodies.append(Events.canceled("evt_c\(s)", sad: "sad_b\(s)", subscription: sub, at: "2025-12-17T10:00:00Z"))
            let now = Instant(unixSeconds: Int64(Date().timeIntervalSince1970) - 60).rfc3339
            bodies.append(Events.weekPass("evt_d\(s)", sad: "sad_d\(s)", subscription: sub, at: now))
        }
        var configuration = DeliveryHarness.configuration(schedule: Array(repeating: .milliseconds(20), count: 20))
        configuration.concurrency = 16
        try await harness.delivering(configuration) {
            try await harness.ingest(bodies)
            #expect(try await harness.wait { try await harness.messages(endpoint.id).allSatisfy { $0.status == "delivered" } })
        }
        // For each subscription: the first successful receipt of each message follows the log's
        // order, and no attempt of a message came before the previous one was delivered.
        let order = try await harness.messages(endpoint.id).map(\.id)
        var delivered = Set<String>()
        var lastDelivered: [String: Int] = [:]
        var attempts = 0
        for (index, request) in receiver.received.enumerated() {
            let subscription = try #require(request.json?["data"]?["subscription"]?.stringValue)
            let position = try #require(order.firstIndex(of: request.id))
            let earlier = order.prefix(position).filter { id in
                receiver.received.contains { $0.id == id && $0.json?["data"]?["subscription"]?.stringValue == subscription }
            }
            #expect(earlier.allSatisfy { delivered.contains($0) }, "\(request.id) attempted before an earlier message of \(subscription) was delivered")
            if !delivered.contains(request.id), index == receiver.received.lastIndex(where: { $0.id == request.id }) {
                delivered.insert(request.id)
                #expect((lastDelivered[subscription] ?? -1) < position)
                lastDelivered[subscription] = position
            }
            attempts += 1
        }
        #expect(delivered.count == order.count)
        #expect(attempts > order.count, "the receiver failed some attempts")
    }

    @Test func aReceiverThatHangsGetsTheDeadlineAndTheMessageIsRetried() async throws {
        #expect(DeliveryConfiguration().requestTimeout == .seconds(15))
        let harness = try await DeliveryHarness("deliver_hang")
        let receiver = try await Receiver.start { _, attempt in attempt == 1 ? .hang : .status(200) }
        defer { Task { await receiver.stop() } }
        let endpoint = try await harness.endpoint(receiver.url, eventTypes: ["com.gigs.subscriptionAddon.activated"])
        try await harness.delivering(DeliveryHarness.configuration(timeout: .seconds(1))) {
            let now = Instant(unixSeconds: Int64(Date().timeIntervalSince1970) - 60).rfc3339
            try await harness.ingest([Events.weekPass("evt_h", sad: "sad_h", subscription: Self.sub, at: now)])
            #expect(try await harness.wait { try await harness.messages(endpoint.id).first?.status == "delivered" })
        }
        let (error, duration) = try await harness.pool.withConnection { connection in
            try connection.query("SELECT error, duration_ms FROM webhook_attempts ORDER BY seq LIMIT 1")[0].decode((String?, Int).self)
        }
        #expect(error?.contains("in time") == true, "\(String(describing: error))")
        #expect(duration < 5_000, "the attempt took \(duration) ms")
        #expect(try await harness.messages(endpoint.id).first?.attempts == 2)
    }

    @Test func a410DisablesTheEndpointAndItsMessagesWaitForItInOrder() async throws {
        let harness = try await DeliveryHarness("deliver_gone")
        let gone = Mutex(true)
        let receiver = try await Receiver.start { _, _ in gone.withLock { $0 } ? .status(410) : .status(200) }
        defer { Task { await receiver.stop() } }
        let endpoint = try await harness.endpoint(receiver.url)
        try await harness.delivering {
            try await harness.ingest([Events.weekPass("evt_g", sad: "sad_g", subscription: Self.sub, at: "2025-12-15T10:30:00Z")])
            #expect(try await harness.wait {
                try await harness.request("/projects/gigs/webhookEndpoints/\(endpoint.id)").json?["disabledReason"] == "gone"
            })
            try await Task.sleep(for: .milliseconds(500))
            #expect(receiver.received.count == 1, "nothing more is attempted while disabled")
            #expect(try await harness.messages(endpoint.id).map(\.status) == ["pending", "pending"])
            // A change that does not name the status leaves it as delivery set it.
            let described = try await harness.request("/projects/gigs/webhookEndpoints/\(endpoint.id)", method: .patch,
                                                      body: ["description": "renamed"])
            #expect(described.json?["status"] == "disabled" && described.json?["disabledReason"] == "gone")
            gone.withLock { $0 = false }
            let enabled = try await harness.request("/projects/gigs/webhookEndpoints/\(endpoint.id)", method: .patch, body: ["status": "enabled"])
            #expect(enabled.json?["status"] == "enabled" && enabled.json?["disabledReason"] == .null)
            #expect(try await harness.wait { try await harness.messages(endpoint.id).allSatisfy { $0.status == "delivered" } })
        }
        let types = receiver.received.dropFirst().map { $0.json?["type"]?.stringValue }
        #expect(types == ["com.gigs.subscriptionAddon.activated", "com.gigs.subscriptionAddon.ended"])
    }

    @Test func retryAfterIsHonouredOn503() async throws {
        let harness = try await DeliveryHarness("deliver_retry_after")
        let receiver = try await Receiver.start { _, attempt in attempt == 1 ? .status(503, headers: [("Retry-After", "3")]) : .status(200) }
        defer { Task { await receiver.stop() } }
        let endpoint = try await harness.endpoint(receiver.url, eventTypes: ["com.gigs.subscriptionAddon.activated"])
        try await harness.delivering {
            let now = Instant(unixSeconds: Int64(Date().timeIntervalSince1970) - 60).rfc3339
            try await harness.ingest([Events.weekPass("evt_r", sad: "sad_r", subscription: Self.sub, at: now)])
            #expect(try await harness.wait { try await harness.messages(endpoint.id).first?.attempts == 1 })
            let waiting = try await harness.request("/projects/gigs/webhookEndpoints/\(endpoint.id)/messages").json?["items"]?.arrayValue?.first
            let last = try #require(waiting?["lastAttempt"]?["at"]?.stringValue.flatMap(Instant.init(rfc3339:)))
            let next = try #require(waiting?["nextAttemptAt"]?.stringValue.flatMap(Instant.init(rfc3339:)))
            #expect(next.microseconds - last.microseconds >= 2_900_000, "retried before Retry-After, not after the 50 ms schedule")
            #expect(waiting?["lastAttempt"]?["statusCode"] == 503)
            #expect(try await harness.wait { try await harness.messages(endpoint.id).first?.status == "delivered" })
        }
    }

    @Test func duringARotationBothSecretsSignAndEachVerifies() async throws {
        let harness = try await DeliveryHarness("deliver_rotate")
        let receiver = try await Receiver.start()
        defer { Task { await receiver.stop() } }
        let endpoint = try await harness.endpoint(receiver.url, eventTypes: ["com.gigs.subscriptionAddon.activated"])
        let rotated = try await harness.request("/projects/gigs/webhookEndpoints/\(endpoint.id)/rotateSecret", method: .post)
        let newSecret = try #require(rotated.json?["secret"]?.stringValue)
        #expect(newSecret != endpoint.secret)
        try await harness.delivering {
            let now = Instant(unixSeconds: Int64(Date().timeIntervalSince1970) - 60).rfc3339
            try await harness.ingest([Events.weekPass("evt_k", sad: "sad_k", subscription: Self.sub, at: now)])
            #expect(try await harness.wait { receiver.received.count >= 1 })
        }
        let request = try #require(receiver.received.first)
        #expect(request.signature.split(separator: " ").count == 2)
        #expect(Self.verifies(request, secret: newSecret) && Self.verifies(request, secret: endpoint.secret))
        #expect(!Self.verifies(request, secret: WebhookSecret.generate().encoded))
    }

    @Test func aDisabledEndpointKeepsItsMessagesAndGetsThemInOrderWhenEnabled() async throws {
        let harness = try await DeliveryHarness("deliver_disabled")
        let receiver = try await Receiver.start()
        defer { Task { await receiver.stop() } }
        let endpoint = try await harness.endpoint(receiver.url)
        let disabled = try await harness.request("/projects/gigs/webhookEndpoints/\(endpoint.id)", method: .patch, body: ["status": "disabled"])
        #expect(disabled.json?["disabledReason"] == "operator")
        try await harness.delivering {
            try await harness.ingest((0..<3).map { Events.weekPass("evt_d\($0)", sad: "sad_d\($0)", subscription: Self.sub, at: "2025-12-1\($0 + 1)T10:00:00Z") })
            try await Task.sleep(for: .milliseconds(500))
            #expect(receiver.received.isEmpty)
            #expect(try await harness.messages(endpoint.id).count == 6)
            _ = try await harness.request("/projects/gigs/webhookEndpoints/\(endpoint.id)", method: .patch, body: ["status": "enabled"])
            #expect(try await harness.wait { receiver.received.count >= 6 })
        }
        let order = try await harness.messages(endpoint.id).map(\.id)
        #expect(receiver.received.map(\.id) == order)
    }

    @Test func resendAndRecoverSendAgain() async throws {
        let harness = try await DeliveryHarness("deliver_resend")
        let failing = Mutex(true)
        let receiver = try await Receiver.start { _, _ in failing.withLock { $0 } ? .status(500) : .status(200) }
        defer { Task { await receiver.stop() } }
        let endpoint = try await harness.endpoint(receiver.url)
        let before = Instant(unixSeconds: Int64(Date().timeIntervalSince1970) - 5)
        try await harness.delivering(DeliveryHarness.configuration(schedule: [])) {
            try await harness.ingest([Events.weekPass("evt_f", sad: "sad_f", subscription: Self.sub, at: "2025-12-15T10:30:00Z")])
            // No retries: each message fails at its first attempt, and the queue moves on.
            #expect(try await harness.wait { try await harness.messages(endpoint.id).map(\.status) == ["failed", "failed"] })
            failing.withLock { $0 = false }
            let recovered = try await harness.request("/projects/gigs/webhookEndpoints/\(endpoint.id)/recover", method: .post,
                                                      body: ["since": .string(before.rfc3339)])
            #expect(recovered.status == .accepted && recovered.json?["messages"] == 2)
            #expect(try await harness.wait { try await harness.messages(endpoint.id).map(\.status) == ["delivered", "delivered"] })
            let first = try #require(try await harness.messages(endpoint.id).first?.id)
            // The API lists them newest first, a page at a time.
            let path = "/projects/gigs/webhookEndpoints/\(endpoint.id)/messages"
            let newest = try await harness.request("\(path)?limit=1&status=delivered").json
            let last = try #require(newest?["items"]?.arrayValue?.first?["id"]?.stringValue)
            let older = try await harness.request("\(path)?limit=1&after=\(last)").json
            #expect(newest?["moreItemsAfter"] == .string(last) && older?["moreItemsAfter"] == .null)
            #expect(older?["items"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [first] && last != first)
            let count = receiver.received.count
            let resent = try await harness.request("/projects/gigs/webhookEndpoints/\(endpoint.id)/messages/\(first)/resend", method: .post)
            #expect(resent.status == .accepted)
            #expect(try await harness.wait { receiver.received.count == count + 1 })
            #expect(receiver.received.last?.id == first)
            let unknown = try await harness.request("/projects/gigs/webhookEndpoints/\(endpoint.id)/messages/evt_nope/resend", method: .post)
            #expect(unknown.status == .notFound)
        }
    }

    @Test func aLateCancellationIsDeliveredAsACorrection() async throws {
        let harness = try await DeliveryHarness("deliver_correction")
        let receiver = try await Receiver.start()
        defer { Task { await receiver.stop() } }
        _ = try await harness.endpoint(receiver.url)
        let now = Int64(Date().timeIntervalSince1970)
        try await harness.delivering {
            try await harness.ingest([Events.envelope("evt_c1", "com.gigs.subscriptionAddon.created", Instant(unixSeconds: now - 3_600).rfc3339, """
                {"id":"sad_c","subscription":"\(Self.sub)","addon":{"id":"add_eu","activationTrigger":"networkLatch","validity":{"unit":"day","value":7},\
                "coverage":null,"price":{"amount":0,"currency":"USD"}}}
                """), Events.envelope("evt_c2", "com.gigs.network.latched", Instant(unixSeconds: now - 600).rfc3339,
                                      #"{"subscription":"\#(Self.sub)","country":"DE"}"#)])
            #expect(try await harness.wait { receiver.received.count >= 1 })
            // A cancellation from before the latch arrives late: the activation never happened.
            try await harness.ingest([Events.canceled("evt_c3", sad: "sad_c", subscription: Self.sub, at: Instant(unixSeconds: now - 1_200).rfc3339)])
            #expect(try await harness.wait { receiver.received.count >= 3 })
        }
        let types = receiver.received.map { $0.json?["type"]?.stringValue ?? "" }
        #expect(types == ["com.gigs.subscriptionAddon.activated", "com.gigs.subscriptionAddon.ended", "com.gigs.subscriptionAddon.updated"])
        let last = try #require(receiver.received.last?.json?["data"])
        let stored = try await harness.pool.withConnection { try AddonQueries.get(project: "gigs", id: "sad_c", on: $0) }
        #expect(last == stored, "the last message carries exactly the stored state")
        #expect(last["activatedAt"] == .null && last["endReason"] == "canceled")
    }

    @Test func redirectsHugeAnswersAndResetsAreFailedAttemptsOfBoundedCost() async throws {
        let harness = try await DeliveryHarness("deliver_hostile")
        let receiver = try await Receiver.start { request, attempt in
            switch request.json?["data"]?["id"]?.stringValue {
            case "sad_redirect": .status(302, headers: [("Location", "http://127.0.0.1:1/elsewhere")])
            case "sad_huge": attempt == 1 ? .huge(10 << 20) : .status(200)
            // UTF-16, as some servers answer errors: NUL bytes, which a text column refuses.
            case "sad_nul": .status(500, body: "e\u{0}r\u{0}r\u{0}")
            default: .status(200)
            }
        }
        defer { Task { await receiver.stop() } }
        let endpoint = try await harness.endpoint(receiver.url, eventTypes: ["com.gigs.subscriptionAddon.activated"])
        let resetter = try ResettingServer()
        let reset = try await harness.endpoint("http://127.0.0.1:\(resetter.port)/hook", eventTypes: ["com.gigs.subscriptionAddon.activated"])
        try await harness.delivering(DeliveryHarness.configuration(schedule: [])) {
            let now = Instant(unixSeconds: Int64(Date().timeIntervalSince1970) - 60).rfc3339
            try await harness.ingest([
                Events.weekPass("evt_x1", sad: "sad_redirect", subscription: "sub_x1", at: now),
                Events.weekPass("evt_x2", sad: "sad_huge", subscription: "sub_x2", at: now),
                Events.weekPass("evt_x3", sad: "sad_nul", subscription: "sub_x3", at: now),
            ])
            #expect(try await harness.wait {
                let settled = try await harness.messages(endpoint.id).allSatisfy { $0.status != "pending" }
                let resetSettled = try await harness.messages(reset.id).allSatisfy { $0.status != "pending" }
                return settled && resetSettled
            })
        }
        let attempts = try await harness.pool.withConnection { connection in
            try connection.query("""
                SELECT t.subscription_addon, m.endpoint_id, a.status_code, a.error, length(a.response_body), a.duration_ms
                FROM webhook_attempts a JOIN webhook_messages m ON m.seq = a.message_seq JOIN transitions t ON t.seq = m.transition_seq
                ORDER BY a.seq
                """).map { try $0.decode((String, String, Int?, String?, Int?, Int).self) }
        }
        let redirect = try #require(attempts.first { $0.0 == "sad_redirect" && $0.1 == endpoint.id })
        #expect(redirect.2 == 302 && redirect.3?.contains("redirect") == true)
        #expect(!attempts.contains { $0.0 == "sad_huge" && $0.1 == endpoint.id }, "a delivered message keeps its attempt on itself only")
        let huge = try await harness.pool.withConnection { connection in
            try connection.query("""
                SELECT m.status, m.last_status_code, length(m.last_response_body)
                FROM webhook_messages m JOIN transitions t ON t.seq = m.transition_seq
                WHERE t.subscription_addon = 'sad_huge' AND m.endpoint_id = $1
                """, [endpoint.id]).map { try $0.decode((String, Int?, Int?).self) }
        }
        #expect(huge.count == 1 && huge.allSatisfy { $0 == ("delivered", 200, 4_096) }, "10 MB answered: 4 KiB kept, \(huge)")
        #expect(attempts.filter { $0.1 == reset.id }.allSatisfy { $0.2 == nil && $0.3 != nil }, "a reset is a failed attempt")
        #expect(try await harness.messages(endpoint.id).map(\.status).sorted() == ["delivered", "failed", "failed"])
        let nul = try await harness.pool.withConnection { connection in
            try connection.query("""
                SELECT a.response_body FROM webhook_attempts a JOIN webhook_messages m ON m.seq = a.message_seq
                JOIN transitions t ON t.seq = m.transition_seq WHERE t.subscription_addon = 'sad_nul' AND m.endpoint_id = $1
                """, [endpoint.id]).map { try $0.decode(String?.self, column: 0) }
        }
        #expect(nul == ["e\u{FFFD}r\u{FFFD}r\u{FFFD}"], "recorded, the NULs replaced")
    }

    /// One endpoint that never answers holds at most its share of a process's attempts; another
    /// endpoint's messages keep going out meanwhile (SPEC §6: other endpoints are never held up).
    @Test func aHangingEndpointDoesNotHoldUpTheOthers() async throws {
        let harness = try await DeliveryHarness("deliver_fair")
        let hanging = try await Receiver.start { _, _ in .hang }
        let healthy = try await Receiver.start()
        defer { Task { await hanging.stop(); await healthy.stop() } }
        _ = try await harness.endpoint(hanging.url, eventTypes: ["com.gigs.subscriptionAddon.activated"])
        let now = Instant(unixSeconds: Int64(Date().timeIntervalSince1970) - 60).rfc3339
        // Four slots, three per endpoint: the hanging one's six queues can never take all four. (Its
        // attempts end at the deadline, which stopping waits for.)
        try await harness.delivering(DeliveryHarness.configuration(timeout: .seconds(8), concurrency: 4)) {
            try await harness.ingest((1...6).map { Events.weekPass("evt_s\($0)", sad: "sad_s\($0)", subscription: "sub_s\($0)", at: now) })
            #expect(try await harness.wait { hanging.received.count == 3 })
            _ = try await harness.endpoint(healthy.url, eventTypes: ["com.gigs.subscriptionAddon.activated"])
            try await harness.ingest((1...3).map { Events.weekPass("evt_h\($0)", sad: "sad_h\($0)", subscription: "sub_h\($0)", at: now) })
            #expect(try await harness.wait { healthy.received.count == 3 }, "the healthy endpoint is served while the other hangs")
            #expect(hanging.received.count == 3, "the hanging endpoint never held more than its share")
        }
    }

    /// A message whose entry has no body (which a worker never makes) is failed when claimed, not
    /// handed out again after every lease.
    @Test func aMessageWithoutABodyIsFailedWhenClaimed() async throws {
        let harness = try await DeliveryHarness("deliver_bodiless")
        let receiver = try await Receiver.start()
        defer { Task { await receiver.stop() } }
        let endpoint = try await harness.endpoint(receiver.url)
        let claimed = try await harness.pool.withConnection { connection in
            try connection.query("""
                WITH t AS (INSERT INTO transitions (project, subscription_addon, subscription, kind, at)
                           VALUES ('gigs', 'sad_b', 'sub_b', 'activated', now()) RETURNING seq)
                INSERT INTO webhook_messages (endpoint_id, transition_seq, subscription, next_attempt_at) SELECT $1, seq, 'sub_b', now() FROM t
                """, [endpoint.id])
            return try WebhookMessages.claim(limit: 10, lease: .seconds(30), on: connection)
        }
        #expect(claimed.isEmpty)
        let status = try await harness.pool.withConnection {
            try $0.query("SELECT status, next_attempt_at IS NULL FROM webhook_messages WHERE endpoint_id = $1", [endpoint.id]).map { try $0.decode((String, Bool).self) }
        }
        #expect(status.count == 1 && status[0] == ("failed", true))
    }

    @Test func privateDestinationsAreRefusedWithoutTheFlag() async throws {
        let harness = try await DeliveryHarness("deliver_private", allowPrivate: false)
        for url in ["http://example.com/hook", "https://127.0.0.1/hook", "https://localhost:8443/hook", "https://[::1]/hook",
                    "https://169.254.169.254/latest", "https://10.1.2.3/hook", "ftp://example.com", "/relative"] {
            let reply = try await harness.request("/projects/gigs/webhookEndpoints", method: .post, body: ["url": .string(url)])
            #expect(reply.status == .unprocessableContent, "\(url)")
            #expect(reply.json?["code"] == "invalidUrl", "\(url)")
        }
        // Checked again at the connection: an endpoint stored with a name that resolves to loopback
        // is never sent to.
        let receiver = try await Receiver.start()
        defer { Task { await receiver.stop() } }
        _ = try await harness.pool.withConnection { connection in
            try WebhookEndpoints.create(id: "we_private", project: "gigs", url: "https://localhost:\(receiver.port)/hook", eventTypes: nil,
                                        description: nil, secret: WebhookSecret.generate().encoded, on: connection)
        }
        try await harness.delivering(DeliveryHarness.configuration(schedule: [], allowPrivate: false)) {
            let now = Instant(unixSeconds: Int64(Date().timeIntervalSince1970) - 60).rfc3339
            try await harness.ingest([Events.weekPass("evt_p", sad: "sad_p", subscription: Self.sub, at: now)])
            #expect(try await harness.wait { try await harness.messages("we_private").allSatisfy { $0.status == "failed" } })
        }
        #expect(receiver.received.isEmpty)
        let error = try await harness.pool.withConnection { try $0.query("SELECT error FROM webhook_attempts LIMIT 1")[0].decode(String?.self, column: 0) }
        #expect(error?.contains("not public") == true, "\(String(describing: error))")
    }

    @Test func badEndpointRequestsAreRefusedNamingTheField() async throws {
        let harness = try await DeliveryHarness("deliver_api")
        let base = "/projects/gigs/webhookEndpoints"
        #expect(try await harness.request(base, method: .post, body: ["url": "not a url"]).json?["code"] == "invalidUrl")
        let types = try await harness.request(base, method: .post, body: ["url": "http://127.0.0.1/h", "eventTypes": ["com.gigs.nope"]])
        #expect(types.status == .unprocessableContent && types.json?["message"]?.stringValue?.hasPrefix("eventTypes") == true)
        #expect(try await harness.request(base, method: .post, body: ["eventTypes": .null]).status == .unprocessableContent)
        let created = try await harness.endpoint("http://127.0.0.1:9/h")
        let status = try await harness.request("\(base)/\(created.id)", method: .patch, body: ["status": "paused"])
        #expect(status.status == .unprocessableContent && status.json?["message"]?.stringValue?.hasPrefix("status") == true)
        #expect(try await harness.request("\(base)/\(created.id)/messages?status=lost").status == .unprocessableContent)
        #expect(try await harness.request("\(base)/we_unknown").status == .notFound)
        #expect(try await harness.request("\(base)/we_unknown", method: .patch, body: ["status": "enabled"]).status == .notFound)
        #expect(try await harness.request("\(base)/\(created.id)").json?["secret"] == nil, "the secret is shown at creation only")
        #expect(try await harness.endpoint("https://hooks.example.com/in%20box?sig=a%2Bb").id.hasPrefix("we_"), "percent-escapes are URL characters")
        // Another project's id: 404, and nothing of this endpoint's is touched.
        try await harness.pool.withConnection { connection in
            try connection.query("""
                WITH t AS (INSERT INTO transitions (project, subscription_addon, subscription, kind, at, event_id, payload)
                           VALUES ('gigs', 'sad_d', 'sub_d', 'activated', now(), 'evt_d', '{}') RETURNING seq),
                     m AS (INSERT INTO webhook_messages (endpoint_id, transition_seq, subscription, status) SELECT $1, seq, 'sub_d', 'failed' FROM t RETURNING seq)
                INSERT INTO webhook_attempts (message_seq, attempted_at, duration_ms, error) SELECT seq, now(), 1, 'refused' FROM m
                """, [created.id])
        }
        func attempts() async throws -> Int {
            try await harness.pool.withConnection { try $0.query("SELECT count(*) FROM webhook_attempts")[0].decode(Int.self, column: 0) }
        }
        #expect(try await harness.request("/projects/other/webhookEndpoints/\(created.id)", method: .delete).status == .notFound)
        #expect(try await attempts() == 1)
        #expect(try await harness.request("\(base)/\(created.id)", method: .delete).status == .noContent)
        #expect(try await attempts() == 0)
        #expect(try await harness.request("\(base)/\(created.id)").status == .notFound)
    }
}

/// A TCP server that accepts, reads the request, and resets the connection (SO_LINGER 0).
final class ResettingServer: @unchecked Sendable {
    let port: Int
    private let fd: Int32

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = self.fd
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 16) == 0 else { throw CocoaError(.fileWriteUnknown) }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread {
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                var linger = Foundation.linger(l_onoff: 1, l_linger: 0)
                setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Foundation.linger>.size))
                close(client)
            }
        }.start()
    }

    deinit { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
}
