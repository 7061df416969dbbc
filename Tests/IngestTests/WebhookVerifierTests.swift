import Foundation
import StandardWebhooks
import Ingest
import Testing

@Suite struct WebhookVerifierTests {
    let body = Array(#"{"id":"evt_1"}"#.utf8)
    let verifier = WebhookVerifier(secrets: [WebhookFixtures.secret])

    func headers(signature: String) -> WebhookVerifier.Headers {
        WebhookVerifier.Headers(id: "msg_1", timestamp: String(WebhookFixtures.now), signature: signature)
    }

    var valid: String { WebhookVerifier.sign(id: "msg_1", timestamp: WebhookFixtures.now, body: body, secret: WebhookFixtures.secret) }

    @Test func aValidSignatureAmongTheFirstEightIsAccepted() throws {
        let junk = Array(repeating: "v1,AAAA", count: 7)
        try verifier.verify(headers: headers(signature: (junk + [valid]).joined(separator: " ")), body: body, now: WebhookFixtures.now)
    }

    /// Work per request is bounded: a header stuffed with thousands of entries is not hashed
    /// thousands of times, and a valid signature hidden behind them does not count.
    @Test func entriesBeyondTheFirstEightAreNotLookedAt() {
        let stuffed = Array(repeating: "v1,AAAA", count: 10_000) + [valid]
        #expect(throws: WebhookVerifier.Failure.noValidSignature) {
            try verifier.verify(headers: headers(signature: stuffed.joined(separator: " ")), body: body, now: WebhookFixtures.now)
        }
    }

    @Test func aTruncatedSignatureNeverMatches() {
        let truncated = "v1," + Data(Data(base64Encoded: String(valid.dropFirst(3)))!.prefix(16)).base64EncodedString()
        #expect(throws: WebhookVerifier.Failure.noValidSignature) {
            try verifier.verify(headers: headers(signature: truncated), body: body, now: WebhookFixtures.now)
        }
    }

    @Test func secretsToleratePaddingAndNewlines() throws {
        let secrets = try WebhookSecret.parseList(" \(WebhookFixtures.secret.encoded) ,\n\(WebhookFixtures.rotatedSecret.encoded)\n")
        #expect(secrets == [WebhookFixtures.secret, WebhookFixtures.rotatedSecret])
        #expect(throws: WebhookSecret.InvalidSecret.self) { try WebhookSecret.parseList("whsec_not*base64") }
    }
}
