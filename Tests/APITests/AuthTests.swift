import HTTPTypes
import Testing

/// Bearer auth guards everything but the probes, metrics and webhooks.
@Suite(.timeLimit(.minutes(1)))
struct AuthTests {
    static let guarded = ["/projects/gigs/subscriptionAddons", "/projects/gigs/subscriptionAddons/sad_1", "/events?status=failed",
                          "/events/evt_1", "/openapi.yaml"]

    @Test func missingWrongAndRightTokens() async throws {
        let harness = try await APIHarness("api_auth")
        for path in Self.guarded {
            for authorization in ["", "Bearer", "Bearer ", "Bearer wrong", "Basic \(APIHarness.token)", "Bearer \(APIHarness.token)x",
                                  "Bearer \(APIHarness.token.dropLast())"] {
                let reply = try await harness.request(path, authorization: authorization)
                #expect(reply.status == .unauthorized, "\(path) with '\(authorization)'")
                #expect(reply.json?["type"] == "unauthenticated")
            }
            let none = try await harness.request(path, token: nil)
            #expect(none.status == .unauthorized)
            #expect(none.json?["code"] == "missingToken")
            let right = try await harness.request(path)
            #expect(right.status != .unauthorized, "\(path)")
            #expect(try await harness.request(path, authorization: "bearer \(APIHarness.token)").status == right.status)
        }
        // The retry operation too, before it looks at the id.
        #expect(try await harness.request("/events/evt_1/retry", method: .post, token: "nope").status == .unauthorized)
    }

    @Test func probesMetricsAndWebhooksNeedNoToken() async throws {
        let harness = try await APIHarness("api_auth_open")
        #expect(try await harness.request("/healthz", token: nil).status == .ok)
        #expect(try await harness.request("/readyz", token: nil).status == .ok)
        #expect(try await harness.request("/metrics", token: nil).status == .ok)
        // Unsigned webhooks are accepted here (no verifier): an empty body is a 400, not a 401.
        #expect(try await harness.request("/webhooks", method: .post, token: nil).status == .badRequest)
    }

    @Test func withoutAConfiguredTokenTheAPIIsClosed() async throws {
        let harness = try await APIHarness("api_auth_none", apiToken: nil)
        let reply = try await harness.request("/projects/gigs/subscriptionAddons", token: "anything")
        #expect(reply.status == .unauthorized)
        #expect(reply.json?["code"] == "apiDisabled")
        #expect(try await harness.request("/projects/gigs/subscriptionAddons", authorization: "Bearer ").status == .unauthorized)
    }
}
