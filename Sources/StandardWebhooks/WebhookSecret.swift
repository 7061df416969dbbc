import Foundation

/// A Standard Webhooks signing secret: `whsec_` followed by the base64 key bytes.
public struct WebhookSecret: Sendable, Equatable {
    public let key: [UInt8]

    public init(key: [UInt8]) { self.key = key }

    /// Parses one `whsec_<base64>` value (the prefix is optional, as in the reference libraries).
    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let encoded = trimmed.hasPrefix("whsec_") ? String(trimmed.dropFirst(6)) : trimmed
        guard let data = Data(base64Encoded: encoded), !data.isEmpty else { return nil }
        key = Array(data)
    }

    /// Parses `WEBHOOK_SECRETS`: comma-separated secrets, any of which may sign (rotation).
    /// The error names the position of a bad entry, never its value.
    public static func parseList(_ text: String) throws(InvalidSecret) -> [WebhookSecret] {
        let entries = text.split(separator: ",").map(String.init).filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        var secrets: [WebhookSecret] = []
        for (index, entry) in entries.enumerated() {
            guard let secret = WebhookSecret(entry) else { throw InvalidSecret(position: index + 1) }
            secrets.append(secret)
        }
        return secrets
    }

    /// A `WEBHOOK_SECRETS` entry that is not a secret, by position (its value is never shown).
    public struct InvalidSecret: Error, CustomStringConvertible {
        public var position: Int
        public var description: String { "WEBHOOK_SECRETS entry \(position) is not a whsec_<base64> secret" }
    }

    /// A fresh random secret (32 bytes): endpoints' signing secrets, the embedded development default.
    public static func generate() -> WebhookSecret {
        var generator = SystemRandomNumberGenerator()
        return WebhookSecret(key: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    public var encoded: String { "whsec_" + Data(key).base64EncodedString() }
}
