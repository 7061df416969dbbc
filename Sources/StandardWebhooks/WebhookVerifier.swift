import Crypto
import Foundation

/// Standard Webhooks signatures: verifying the raw body of a webhook in (before anything parses
/// it), and signing the body of a message out.
///
/// Signed content is `{webhook-id}.{webhook-timestamp}.{body}`, HMAC-SHA256, base64; the signature
/// header lists space-separated `v1,<base64>` entries. The `svix-*` header names are accepted too.
public struct WebhookVerifier: Sendable {
    public let secrets: [WebhookSecret]
    /// Accepted clock difference between the sender's timestamp and ours, both directions.
    public let tolerance: Int64
    /// Built once: a key per request would be an allocation per request per secret.
    private let keys: [SigningKey]

    public init(secrets: [WebhookSecret], tolerance: Int64 = 300) {
        self.secrets = secrets
        self.tolerance = tolerance
        self.keys = secrets.map { SigningKey(SymmetricKey(data: $0.key)) }
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

    /// What the headers alone decide: all three present, a timestamp within the tolerance. Lets
    /// ingest refuse a request before reading its body.
    public func checkHeaders(_ headers: Headers, now: Int64) throws(Failure) {
        guard let id = headers.id, !id.isEmpty, let timestampText = headers.timestamp, headers.signature != nil else {
            throw .missingHeaders
        }
        guard timestampText.utf8.count <= 12, let timestamp = Int64(timestampText) else { throw .malformedTimestamp }
        guard abs(now - timestamp) <= tolerance else { throw .timestampOutOfTolerance }
    }

    /// Throws unless one `v1` signature matches one secret. `now` is Unix seconds.
    public func verify(headers: Headers, body: some ContiguousBytes, now: Int64) throws(Failure) {
        try checkHeaders(headers, now: now)
        guard let id = headers.id, let timestampText = headers.timestamp, let signatureHeader = headers.signature else {
            throw .missingHeaders
        }

        // Bounded work per request, whatever the header holds: at most `maxSignatures` entries are
        // looked at, and the MAC is computed once per secret (not once per candidate).
        let candidates = signatureHeader.split(separator: " ", omittingEmptySubsequences: true)
            .prefix(Self.maxSignatures)
            .compactMap { entry -> [UInt8]? in
                guard entry.hasPrefix("v1,"), let data = Data(base64Encoded: String(entry.dropFirst(3))), data.count == 32 else { return nil }
                return Array(data)
            }
        guard !candidates.isEmpty else { throw .noValidSignature }

        var matched = false
        for key in keys {
            let mac = Array(Self.mac(id: id, timestamp: timestampText, body: body, key: key.key))
            // Every candidate is compared in full, so timing says nothing about which bytes matched.
            for candidate in candidates where Self.constantTimeEqual(mac, candidate) { matched = true }
        }
        guard matched else { throw .noValidSignature }
    }

    /// HMAC-SHA256 of `{id}.{timestamp}.{body}`, fed in pieces: the body is never copied.
    static func mac(id: String, timestamp: String, body: some ContiguousBytes, key: SymmetricKey) -> HashedAuthenticationCode<SHA256> {
        var hmac = HMAC<SHA256>(key: key)
        var prefix = Array(id.utf8)
        prefix.append(UInt8(ascii: "."))
        prefix += timestamp.utf8
        prefix.append(UInt8(ascii: "."))
        hmac.update(data: prefix)
        body.withUnsafeBytes { hmac.update(data: $0) }
        return hmac.finalize()
    }

    /// More `v1,` entries than any sender needs during a rotation.
    static let maxSignatures = 8

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// The `v1,<base64>` signature a sender puts in `webhook-signature` (delivery, tests, load generator).
    public static func sign(id: String, timestamp: Int64, body: some ContiguousBytes, secret: WebhookSecret) -> String {
        let mac = mac(id: id, timestamp: String(timestamp), body: body, key: SymmetricKey(data: secret.key))
        return "v1," + Data(mac).base64EncodedString()
    }
}

/// `SymmetricKey` is immutable after init but not marked `Sendable` by swift-crypto.
private struct SigningKey: @unchecked Sendable {
    let key: SymmetricKey
    init(_ key: SymmetricKey) { self.key = key }
}
