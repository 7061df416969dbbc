import ArgumentParser
import StandardWebhooks
import Foundation
import Ingest

/// Writes presigned webhook requests for an external load generator (`.ci/wrk-webhooks.lua`):
/// one file per generator thread, each request as `<byte count>\n<raw HTTP/1.1 request>`.
/// Signatures stay valid for the server's 5-minute tolerance, so sign just before the run.
struct SignRequests: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Presigned POST /webhooks requests (unique event ids) as files for wrk.")

    @Option(help: "Signing secret (whsec_…), the server's WEBHOOK_SECRETS.") var secret: String
    @Option(help: "Requests in total.") var count = 300_000
    @Option(help: "Files to spread them over (one per wrk thread).") var files = 2
    @Option(help: "Distinct subscriptions the events spread over.") var subscriptions = 10_000
    @Option(help: "Host header.") var host = "127.0.0.1"
    @Option(help: "Directory to write requests-<n>.txt into.") var out: String

    func run() throws {
        guard let secret = WebhookSecret(secret) else { throw ValidationError("--secret must be whsec_<base64>") }
        guard count > 0, files > 0 else { throw ValidationError("--count and --files must be positive") }
        let runID = String(UInt32.random(in: .min ... .max), radix: 36)
        for file in 0..<files {
            var data = [UInt8]()
            for sequence in stride(from: file, to: count, by: files) {
                let request = IngestBench.request(connection: file, sequence: sequence, runID: runID, host: host,
                                                  secret: secret, subscriptions: subscriptions)
                data += Array("\(request.count)\n".utf8) + request
            }
            let path = "\(out)/requests-\(file).txt"
            guard FileManager.default.createFile(atPath: path, contents: Data(data)) else {
                throw ValidationError("cannot write \(path)")
            }
        }
    }
}
