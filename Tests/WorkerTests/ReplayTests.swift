import Foundation
import Lifecycle
import EventFormat
import Postgres
import Store
import Processes
import TestSupport
import Testing
import Worker

/// `export` and `replay` as an operator runs them: the binary, a real database the workers filled.
@Suite(.timeLimit(.minutes(3)))
struct ReplayTests {
    static let binary = ChildProcess.addonLifecycle

    static func file(_ lines: [String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString).ndjson").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func replay(_ arguments: [String], environment: [String: String] = [:]) async throws -> CommandResult {
        try await CommandResult.run(binary, ["replay"] + arguments, environment: ["LOG_LEVEL": "error"].merging(environment) { $1 })
    }

    @Test func exportThenReplayCheckMatchesWhatTheWorkersStored() async throws {
        let configuration = try await TestDatabase.create("replay_check")
        let pool = PostgresPool(configuration: configuration, size: 3, logger: TestDatabase.logger)
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        // Out of order (reversed, shuffled between subscriptions) and every event delivered twice.
        var bodies = (0..<60).flatMap(CrashSafetyTests.events(for:)).reversed().map { $0 }
        bodies.shuffle()
        for chunk in stride(from: 0, to: bodies.count, by: 40).map({ Array(bodies[$0..<min($0 + 40, bodies.count)]) }) {
            let records = try (chunk + chunk).map(CrashSafetyTests.record)
            _ = try await pool.withConnection { try EventInbox.insert(records, on: $0) }
        }
        // The workers, until nothing is due.
        for _ in 0..<200 {
            let outcome = try await pool.withTransaction { try WorkQueue.processDue(limit: 50, on: $0) }
            if outcome.claimed == 0 { break }
        }
        let environment = ["DATABASE_URL": configuration.connectionString]

        let export = try await CommandResult.run(Self.binary, ["export"], environment: environment.merging(["LOG_LEVEL": "error"]) { $1 })
        #expect(export.status == 0, "\(export.stderr)")
        let lines = export.stdout.split(separator: "\n")
        #expect(lines.count == bodies.count)
        let times = try lines.map { try EventDecoder.decode(Array($0.utf8)).time }
        #expect(times == times.sorted(), "export is in logical-time order")
        let log = try Self.file(lines.map(String.init))

        let check = try await Self.replay([log, "--check"], environment: environment)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stderr.contains("no differences"))
        #expect(check.stdout.isEmpty)

        // The same log delivered twice over: duplicates change nothing.
        let doubled = try Self.file(lines.map(String.init) + lines.map(String.init))
        #expect(try await Self.replay([doubled, "--check"], environment: environment).status == 0)

        // A corrupted state row is reported field by field, exit 1.
        try await pool.withConnection { connection in
            try connection.query("UPDATE subscription_addons SET status = 'active', ended_at = NULL, end_reason = NULL WHERE id = 'sad_top_1'")
            try connection.query("DELETE FROM subscription_addons WHERE id = 'sad_top_2'")
        }
        let corrupted = try await Self.replay([log, "--check"], environment: environment)
        #expect(corrupted.status == 1)
        #expect(corrupted.stdout.contains(#"chaos/sub_1 sad_top_1: status: database "active", replay "ended""#), "\(corrupted.stdout)")
        #expect(corrupted.stdout.contains(#"chaos/sub_1 sad_top_1: endedAt: database null, replay "2026-01-01T00:00:00Z""#))
        #expect(corrupted.stdout.contains(#"chaos/sub_1 sad_top_1: endReason: database null, replay "periodEnded""#))
        #expect(corrupted.stdout.contains("chaos/sub_2 sad_top_2: only in the replay"))
    }

    /// One Europe week pass (network latch, 7 days): attached and paid on Dec 15, latched in
    /// Germany on Dec 16 at 08:00, so active until Dec 23 08:00.
    static let weekPass = [
        #"{"object":"event","id":"evt_1","type":"com.gigs.subscriptionAddon.created","time":"2025-12-15T10:30:00Z","project":"gigs","data":{"id":"sad_eu","subscription":"sub_1","addon":{"id":"add_eu","activationTrigger":"networkLatch","coverage":{"id":"cp_eu","countries":["DE","FR"],"name":"EU"},"validity":{"unit":"day","value":7},"price":{"amount":499,"currency":"USD"}}}}"#,
        #"{"object":"event","id":"evt_2","type":"com.gigs.invoice.paid","time":"2025-12-15T10:31:00Z","project":"gigs","data":{"id":"inv_1","subscription":"sub_1","lineItems":[{"subscriptionAddon":"sad_eu"}]}}"#,
        #"{"object":"event","id":"evt_3","type":"com.gigs.network.latched","time":"2025-12-16T08:00:00Z","project":"gigs","data":{"subscription":"sub_1","country":"DE"}}"#,
    ]

    @Test(arguments: [
        ("2025-12-15T10:30:30Z", "pending"), ("2025-12-16T07:59:59Z", "pending"), ("2025-12-16T08:00:00Z", "active"),
        ("2025-12-23T07:59:59Z", "active"), ("2025-12-23T08:00:00Z", "ended"), ("2026-06-01T00:00:00Z", "ended"),
    ])
    func asOfGivesTheStatusSpecSection3Defines(asOf: String, status: String) async throws {
        let reply = try await Self.replay([try Self.file(Self.weekPass), "--as-of", asOf, "--format", "json"])
        #expect(reply.status == 0, "\(reply.stderr)")
        let object = try JSONValue(parsing: reply.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(object["id"] == "sad_eu")
        #expect(object["project"] == "gigs")
        #expect(object["status"]?.stringValue == status)
    }

    @Test func traceShowsWhatEachEventCausedAndTheTimers() async throws {
        let reply = try await Self.replay([try Self.file(Self.weekPass), "--trace", "--as-of", "2026-01-01T00:00:00Z"])
        #expect(reply.status == 0, "\(reply.stderr)")
        let lines = reply.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "2025-12-15T10:30:00Z gigs/sub_1 evt_1 com.gigs.subscriptionAddon.created")
        #expect(lines.contains("    sad_eu created: pending"))
        #expect(lines.contains("    ⇒ activated sad_eu at 2025-12-16T08:00:00Z"))
        #expect(lines.contains("2025-12-23T08:00:00Z gigs/sub_1 timer"))
        #expect(lines.contains("    ⇒ ended sad_eu at 2025-12-23T08:00:00Z (expired)"))
        // The activation is caused by the latch, not by a timer.
        let latch = try #require(lines.firstIndex(of: "2025-12-16T08:00:00Z gigs/sub_1 evt_3 com.gigs.network.latched"))
        #expect(lines[latch + 2] == "    ⇒ activated sad_eu at 2025-12-16T08:00:00Z")
    }

    @Test func invalidLinesAreNamedAndStopTheReplayUnlessSkipped() async throws {
        let log = try Self.file([Self.weekPass[0], "{not json", #"{"object":"event","id":"evt_x","type":"com.gigs.invoice.paid","time":"2025-12-15T10:31:00Z","project":"gigs","data":{}}"#, Self.weekPass[2]])
        let stopped = try await Self.replay([log])
        #expect(stopped.status == 2)
        #expect(stopped.stderr.contains("line 2:"))
        #expect(!stopped.stderr.contains("line 3:"))
        #expect(stopped.stdout.isEmpty)
        let skipped = try await Self.replay([log, "--skip-invalid"])
        #expect(skipped.status == 0)
        #expect(skipped.stderr.contains("line 2:") && skipped.stderr.contains("line 3:"))
        #expect(skipped.stdout.contains("gigs/sub_1 sad_eu pending"))
        let missing = try await Self.replay(["/nonexistent/log.ndjson"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot open /nonexistent/log.ndjson"))
    }

    @Test func anAddonCreatedUnderTwoSubscriptionsIsLeftOutLikeIngestRefusesIt() async throws {
        let foreign = Self.weekPass[0].replacingOccurrences(of: "evt_1", with: "evt_9").replacingOccurrences(of: #""subscription":"sub_1""#, with: #""subscription":"sub_2""#)
        let log = try Self.file(Self.weekPass + [foreign])
        let reply = try await Self.replay([log, "--as-of", "2025-12-17T00:00:00Z"])
        #expect(reply.status == 0)
        #expect(reply.stderr.contains("event evt_9: data.id sad_eu belongs to subscription sub_1; left out"), "\(reply.stderr)")
        #expect(reply.stdout.contains("gigs/sub_1 sad_eu active"), "\(reply.stdout)")
        #expect(!reply.stdout.contains("sub_2"))
    }
}
