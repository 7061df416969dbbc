import API
import Foundation
import HTTPTypes
import Hummingbird
import Ingest
import Postgres
import Store
import TestSupport
import Testing

/// The OpenAPI document against the real routes, the probes, metrics and 405s.
@Suite(.timeLimit(.minutes(1)))
struct OperationsTests {
    /// `METHOD /path` for every operation in Sources/API/openapi.yaml (the file as kept in the repo).
    static func documentedOperations() throws -> Set<String> {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/API/openapi.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(Array(text.utf8) == OpenAPIDocument.yaml, "the compiled-in document is the repository's file")
        var operations = Set<String>()
        var path: String?
        var inPaths = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths, let first = line.first, first != " " { break }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") { path = String(line.dropFirst(2).dropLast()) }
            for method in ["get", "post", "put", "patch", "delete"] where line == "    \(method):" {
                operations.insert("\(method.uppercased()) \(path ?? "?")")
            }
        }
        return operations
    }

    @Test func theDocumentDescribesExactlyTheServedRoutes() async throws {
        let pool = try await TestDatabase.pool("api_openapi", size: 1)
        let router = HTTPApplication.router(pool: pool, committer: GroupCommitter(pool: pool, logger: TestDatabase.logger), verifier: nil, apiToken: "t")
        // The console's page and files are for browsers, not part of the API the document describes.
        let served = Set(router.routes.map { route in
            let path = route.path.description
            return "\(route.method.rawValue) \(path.hasPrefix("/") ? path : "/" + path)"
        }.filter { !$0.hasPrefix("GET /console") })
        let documented = try Self.documentedOperations()
        #expect(!documented.isEmpty)
        #expect(served == documented, "served but undocumented: \(served.subtracting(documented)); documented but not served: \(documented.subtracting(served))")
    }

    @Test func theServedDocumentIsTheRepositorysFile() async throws {
        let harness = try await APIHarness("api_openapi_served")
        let reply = try await harness.request("/openapi.yaml")
        #expect(reply.status == .ok)
        #expect(reply.headers[.contentType] == "application/yaml")
        #expect(Array(reply.body.utf8) == OpenAPIDocument.yaml)
    }

    @Test func readyOnlyWithTheCurrentSchema() async throws {
        let unmigrated = try await APIHarness("api_ready_unmigrated", migrate: false)
        let notReady = try await unmigrated.request("/readyz", token: nil)
        #expect(notReady.status == .serviceUnavailable)
        #expect(notReady.json?["code"] == "schemaNotCurrent")
        #expect(notReady.headers[.retryAfter] != nil)
        #expect(try await unmigrated.request("/healthz", token: nil).status == .ok)

        let migrated = try await APIHarness("api_ready_migrated")
        let ready = try await migrated.request("/readyz", token: nil)
        #expect(ready.status == .ok)
        #expect(ready.json?["schemaVersion"] == .int(Migrations.latestVersion))
    }

    @Test func metricsReportTheQueueFromTheDatabase() async throws {
        let harness = try await APIHarness("api_metrics")
        try await harness.pool.withConnection { connection in
            try connection.query("""
                INSERT INTO work (project, subscription, due_at) VALUES
                    ('gigs', 'sub_a', now() - interval '30 seconds'), ('gigs', 'sub_b', now()), ('gigs', 'sub_c', now() + interval '1 hour')
                """)
        }
        try await harness.insertEvent(id: "evt_failed_m", status: "failed", error: "boom")
        let reply = try await harness.request("/metrics", token: nil)
        #expect(reply.status == .ok)
        #expect(reply.headers[.contentType]?.hasPrefix("text/plain") == true)
        let lines = Set(reply.body.split(separator: "\n").map(String.init))
        #expect(lines.contains("addon_queue_due 2.0"))
        #expect(lines.contains("addon_queue_scheduled 1.0"))
        #expect(lines.contains("addon_events_failed 1.0"))
        #expect(lines.contains("addon_database_up 1.0"))
        let age = lines.first { $0.hasPrefix("addon_queue_oldest_due_age_seconds ") }.flatMap { Double($0.split(separator: " ")[1]) }
        #expect((age ?? 0) >= 29)
    }

    @Test func anUnservedMethodOnAKnownPathIs405() async throws {
        let harness = try await APIHarness("api_405")
        let post = try await harness.request("/healthz", method: .post, token: nil)
        #expect(post.status == .methodNotAllowed)
        #expect(post.headers[.allow] == "GET")
        #expect(post.json?["type"] == "methodNotAllowed")
        let query = try await harness.request("/webhooks", method: HTTPRequest.Method("QUERY")!, token: nil)
        #expect(query.status == .methodNotAllowed)
        #expect(query.headers[.allow] == "POST")
        #expect(try await harness.request("/projects/p/subscriptionAddons/x", method: .delete).headers[.allow] == "GET")
        #expect(try await harness.request("/nowhere", token: nil).status == .notFound)
    }
}
