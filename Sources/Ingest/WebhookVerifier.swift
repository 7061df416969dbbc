import Crypto
import Foundation

/// Verifies Standard Webhooks signatures on the raw body, before anything parses it.
///
/// Signed content is `{webhook-id}.{webhook-timestamp}.{body}`, HMAC-SHA256, base64; the signature
/// header lists space-separated `v1,<base64>` entries. The `svix-*` header names are accepted too.
public struct WebhookVerifier: Sendable {
    public let secrets: [WebhookSecret]
    /// Accepted clock difference between the sender's timestamp and ours, both directions.
    public let tolerance: Int64

    public init(secrets: [WebhookSecret], tolerance: Int64 = 300) {
        self.secrets = secrets
        self.tolerance = tolerance
    }

    public enum Failure: Error, Equatable, Sendable {
        case missingHeaders
        case malformedTimestamp
        case timestampOutOfTolerance
        case noValidSignature
    }

    /// The three signature headers, from `webhook-*` or else `svix-*` names.
    public struct Headers: Sendable {
        public var id: String?
        public var timestamp: String?
        public var signature: String?

        public init(id: String?, timestamp: String?, signature: String?) {
            self.id = id
            self.timestamp = timestamp
            self.signature = signature
        }
    }

    /// Throws unless one `v1` signature matches one secret. `now` is Unix seconds.
    public func verify(headers: Headers, body: some ContiguousBytes, now: Int64) throws(Failure) {
        guard let id = headers.id, !id.isEmpty, let timestampText = headers.timestamp, let signatureHeader = headers.signature else {
            throw .missingHeaders
        }
        guard timestampText.utf8.count <= 12, let timestamp = Int64(timestampText) else { throw .malformedTimestamp }
        guard abs(now - timestamp) <= tolerance else { throw .timestampOutOfTolerance }

        let candidates = signatureHeader.split(separator: " ").compactMap { entry -> Data? in
            guard entry.hasPrefix("v1,") else { return nil }
            return Data(base64Encoded: String(entry.dropFirst(3)))
        }
        guard !candidates.isEmpty else { throw .noValidSignature }

        var signed = Data("\(id).\(timestampText).".utf8)
        body.withUnsafeBytes { signed.append(contentsOf: $0) }
        for secret in secrets {
            let key = SymmetricKey(data: secret.key)
            // isValidAuthenticationCode compares in constant time.
            for candidate in candidates where HMAC<SHA256>.isValidAuthenticationCode(candidate, authenticating: signed, using: key) {
                return
            }
        }
        throw .noValidSignature
    }

    /// The `v1,<base64>` signature a sender would put in `webhook-signature` (tests, load generator).
    public static func sign(id: String, timestamp: Int64, body: some ContiguousBytes, secret: WebhookSecret) -> String {
        var signed = Data("\(id).\(timestamp).".utf8)
        body.withUnsafeBytes { signed.append(contentsOf: $0) }
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: secret.key))
        return "v1," + Data(mac).base64EncodedString()
    }
}
