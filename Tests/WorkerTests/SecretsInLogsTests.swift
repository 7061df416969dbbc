import Foundation
import StandardWebhooks
import Ingest
import Processes
import TestSupport
import Testing

/// Secrets never reach the logs, even at trace level: the webhook secrets, the API token, the
/// signatures, and the database password (also when the connection fails).
@Suite(.serialized, .timeLimit(.minutes(2)))
struct SecretsInLogsTests {
    @Test func aServerAtTraceLevelLogsNoSecret() async throws {
        let configuration = try await TestDatabase.create("secrets_logs")
        let secret = WebhookSecret.generate()
        let token = "tok_" + UUID().uuidString
        let port = Int.random(in: 20_000...60_000)
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let environment = ["DATABASE_URL": configuration.connectionString, "LOG_LEVEL": "trace", "WEBHOOK_SECRETS": secret.encoded,
                           "API_TOKEN": token, "PORT": String(port), "HOST": "127.0.0.1"]
        #expect(try await CommandResult.run(ChildProcess.addonLifecycle, ["migrate"], environment: environment).status == 0)
        let server = try await ChildProcess.start(ChildProcess.addonLifecycle, ["serve"], environment: environment, output: .file(log))
        defer { server.signal(SIGTERM) }
        let base = "http://127.0.0.1:\(port)"
        var healthy = false
        for _ in 0..<100 where !healthy {
            healthy = try await CommandResult.run("/usr/bin/curl", ["-fs", "\(base)/healthz"], environment: [:]).status == 0
            if !healthy { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(healthy)

        let body = #"{"object":"event","id":"evt_secret","type":"com.gigs.invoice.paid","time":"2025-12-15T10:31:00Z","project":"gigs","data":{"id":"inv_1","subscription":"sub_1","lineItems":[]}}"#
        let timestamp = Int64(Date().timeIntervalSince1970)
        let signature = WebhookVerifier.sign(id: "msg_secret", timestamp: timestamp, body: Array(body.utf8), secret: secret)
        let signed = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "content-type: application/json", "-H", "webhook-id: msg_secret",
                      "-H", "webhook-timestamp: \(timestamp)", "-H", "webhook-signature: \(signature)", "--data-binary", body, "\(base)/webhooks"]
        #expect(try await CommandResult.run("/usr/bin/curl", signed, environment: [:]).stdout == "202")
        // A bad signature and a wrong token are logged as refusals, without what was presented.
        let forged = signed.map { $0 == "webhook-signature: \(signature)" ? "webhook-signature: v1,\(Data(repeating: 7, count: 32).base64EncodedString())" : $0 }
        #expect(try await CommandResult.run("/usr/bin/curl", forged, environment: [:]).stdout == "401")
        #expect(try await CommandResult.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(token)",
                                                         "\(base)/events/evt_secret"], environment: [:]).stdout == "200")
        #expect(try await CommandResult.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(token)x",
                                                         "\(base)/events/evt_secret"], environment: [:]).stdout == "401")
        try await server.stop(SIGTERM)

        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("trace") || text.contains("debug"), "the log ran at trace level")
        for (name, value) in [("webhook secret", secret.encoded), ("secret key", String(secret.encoded.dropFirst(6))), ("API token", token),
                              ("signature", String(signature.dropFirst(3)))] {
            #expect(!text.contains(value), "the \(name) appears in the log")
        }
    }

    @Test func aFailedConnectionNeverLogsThePassword() async throws {
        let password = "pw-\(UUID().uuidString)"
        let result = try await CommandResult.run(ChildProcess.addonLifecycle, ["migrate"],
                                           environment: ["DATABASE_URL": "postgresql://app:\(password)@127.0.0.1:1/addons", "LOG_LEVEL": "trace"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("127.0.0.1"), "\(result.stderr)")
        #expect(!result.stderr.contains(password) && !result.stdout.contains(password))
    }
}
