import ArgumentParser
import StandardWebhooks
import Foundation
import Ingest
import Logging
import Postgres

/// Options of the commands that serve HTTP (`serve`, `run`).
struct HTTPOptions: ParsableArguments {
    @Option(help: "TCP port to listen on (env: PORT).")
    var port: Int?

    @Option(help: "Address to bind (env: HOST).")
    var host: String?

    @Option(name: .customLong("webhook-secrets"),
            help: "Comma-separated whsec_<base64> secrets; any one may sign (env: WEBHOOK_SECRETS).")
    var webhookSecrets: String?

    @Flag(name: .customLong("insecure-no-signature"), help: "Accept unsigned webhooks. Never in production.")
    var insecureNoSignature = false

    @Option(name: .customLong("api-token"), help: "Bearer token of the read and operator API (env: API_TOKEN).")
    var apiToken: String?

    var resolvedPort: Int {
        port ?? ProcessInfo.processInfo.environment["PORT"].flatMap(Int.init) ?? 8080
    }

    var resolvedHost: String {
        host ?? ProcessInfo.processInfo.environment["HOST"] ?? "0.0.0.0"
    }

    func validate() throws {
        if let text = port.map(String.init) ?? ProcessInfo.processInfo.environment["PORT"] {
            guard let value = Int(text), (1...65_535).contains(value) else {
                throw ValidationError("invalid port '\(text)'; use 1–65535")
            }
        }
    }

    /// The verifier from WEBHOOK_SECRETS. With none configured the server refuses to start, unless
    /// `--insecure-no-signature`; on the embedded dev database it makes (and keeps) a secret instead.
    func verifier(embedded: Bool, logger: Logger) throws -> WebhookVerifier? {
        let text = webhookSecrets ?? ProcessInfo.processInfo.environment["WEBHOOK_SECRETS"] ?? ""
        let secrets = try WebhookSecret.parseList(text)
        if !secrets.isEmpty { return WebhookVerifier(secrets: secrets) }
        if insecureNoSignature {
            logger.warning("--insecure-no-signature: accepting unsigned webhooks")
            return nil
        }
        guard embedded else {
            throw ConfigurationError("no WEBHOOK_SECRETS configured; set it (whsec_<base64>, comma-separated) or pass --insecure-no-signature")
        }
        let secret = try DevelopmentSecret.load()
        // To stdout, never the log (secrets stay out of logs), flushed so it shows while running.
        FileHandle.standardOutput.write(Data("webhook secret (embedded development default): \(secret.encoded)\n".utf8))
        return WebhookVerifier(secrets: [secret])
    }

    /// The API token from API_TOKEN. Without one the read API refuses every request, except on the
    /// embedded dev database, which makes (and keeps) a token and prints it like the secret.
    func apiToken(embedded: Bool, logger: Logger) throws -> String? {
        let text = apiToken ?? ProcessInfo.processInfo.environment["API_TOKEN"] ?? ""
        if !text.isEmpty { return text }
        guard embedded else {
            logger.warning("no API_TOKEN configured: the read and operator API refuses every request")
            return nil
        }
        let token = try DevelopmentSecret.load(file: "api-token") { "tok_" + WebhookSecret.generate().encoded.dropFirst(6) }
        FileHandle.standardOutput.write(Data("API token (embedded development default): \(token)\n".utf8))
        return token
    }
}

/// The embedded default's generated credentials, kept under .addon-lifecycle/ (mode 0600) so they
/// survive restarts.
enum DevelopmentSecret {
    static func load() throws -> WebhookSecret {
        let text = try load(file: "webhook-secret") { WebhookSecret.generate().encoded }
        guard let secret = WebhookSecret(text) else { throw ConfigurationError(".addon-lifecycle/webhook-secret is not a whsec_ secret") }
        return secret
    }

    static func load(file name: String, generate: () -> String) throws -> String {
        let file = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".addon-lifecycle/\(name)")
        func stored() -> String? {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { return nil }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : trimmed
        }
        if let value = stored() { return value }
        if FileManager.default.fileExists(atPath: file.path) {
            // Empty: another process of ours is writing it, or one died doing so.
            usleep(200_000)
            if let value = stored() { return value }
            unlink(file.path)
        }
        let value = generate()
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        do {
            try SecretFile.create(file.path, contents: value)
        } catch {
            // Another process of ours made it first: use theirs.
            if let value = stored() { return value }
            throw ConfigurationError("\(error) (remove it to have a new one made)")
        }
        return value
    }
}
