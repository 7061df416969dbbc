import Foundation
import Lifecycle
import LifecycleFixtures
import EventFormat
import Postgres
import Processes
import Store
import TestSupport
import Testing

/// SPEC §7: a subscription's stored add-ons, its state as of any instant folded from the stored
/// facts (equal to `replay --as-of` of its export), and its allowances in consumption order.
@Suite(.timeLimit(.minutes(3)))
struct SubscriptionAPITests {
    static let binary = ChildProcess.addonLifecycle

    /// One subscription per SPEC §3 case, each with its own id.
    static let scenarios: [String: [JSONValue]] = [
        // creation trigger, free: active from creation for 3 days.
        "sub_creation": [Fixture.created("evt_c1", at: "2025-12-15T10:30:00Z", sad: "sad_c", addon: Fixture.freeTopUp, subscription: "sub_creation")],
        // network latch after payment: 7 days from the latch.
        "sub_latch": [
            Fixture.created("evt_l1", at: "2025-12-15T10:30:00Z", sad: "sad_l", addon: Fixture.europeWeekPass, subscription: "sub_latch"),
            Fixture.invoicePaid("evt_l2", at: "2025-12-15T10:31:00Z", invoice: "inv_l", sads: ["sad_l"], subscription: "sub_latch"),
            Fixture.latched("evt_l3", at: "2025-12-16T08:00:00Z", country: "DE", subscription: "sub_latch"),
        ],
        // usage started: only in a covered country, 14 days.
        "sub_usage": [
            Fixture.created("evt_u1", at: "2025-12-15T10:30:00Z", sad: "sad_u", addon: Fixture.japan5GB, subscription: "sub_usage"),
            Fixture.invoicePaid("evt_u2", at: "2025-12-15T11:00:00Z", invoice: "inv_u", sads: ["sad_u"], subscription: "sub_usage"),
            Fixture.usageStarted("evt_u3", at: "2025-12-15T12:00:00Z", country: "DE", subscription: "sub_usage"),
            Fixture.usageStarted("evt_u4", at: "2025-12-16T09:30:00Z", country: "JP", subscription: "sub_usage"),
        ],
        // validity tied to the period: ends with the period that ends after activation. The
        // period-ended event comes after the period's end, so its fact's time is not its envelope's.
        "sub_period": [
            Fixture.created("evt_p1", at: "2025-12-15T10:30:00Z", sad: "sad_p", addon: Fixture.roamingTopUp, subscription: "sub_period"),
            Fixture.invoicePaid("evt_p2", at: "2025-12-15T10:31:00Z", invoice: "inv_p", sads: ["sad_p"], subscription: "sub_period"),
            Fixture.periodEnded("evt_p3", at: "2025-12-21T02:00:00Z", number: 1, start: "2025-11-20T00:00:00Z", end: "2025-12-20T00:00:00Z",
                                subscription: "sub_period"),
        ],
        // canceled before its trigger: never active.
        "sub_cancel": [
            Fixture.created("evt_x1", at: "2025-12-15T10:30:00Z", sad: "sad_x", addon: Fixture.europeWeekPass, subscription: "sub_cancel"),
            Fixture.invoicePaid("evt_x2", at: "2025-12-15T10:31:00Z", invoice: "inv_x", sads: ["sad_x"], subscription: "sub_cancel"),
            Fixture.canceled("evt_x3", at: "2025-12-16T07:00:00Z", sad: "sad_x", subscription: "sub_cancel"),
            Fixture.latched("evt_x4", at: "2025-12-16T08:00:00Z", country: "DE", subscription: "sub_cancel"),
        ],
        // the subscription ends while the add-on is active.
        "sub_ended": [
            Fixture.created("evt_e1", at: "2025-12-15T10:30:00Z", sad: "sad_e", addon: Fixture.japan5GB, subscription: "sub_ended"),
            Fixture.invoicePaid("evt_e2", at: "2025-12-15T10:31:00Z", invoice: "inv_e", sads: ["sad_e"], subscription: "sub_ended"),
            Fixture.usageStarted("evt_e3", at: "2025-12-16T09:30:00Z", country: "JP", subscription: "sub_ended"),
            Fixture.subscriptionEnded("evt_e4", at: "2025-12-18T00:00:00Z", subscription: "sub_ended"),
        ],
    ]

    static let instants = ["2025-12-15T10:00:00Z", "2025-12-15T10:30:30Z", "2025-12-16T08:30:00Z", "2025-12-17T12:00:00Z",
                           "2025-12-20T12:00:00Z", "2026-01-20T00:00:00Z"]

    static func store(_ envelopes: [JSONValue], in pool: PostgresPool) async throws {
        let records = try envelopes.map { envelope in
            let body = envelope.jsonString
            return InboxRecord(try EventDecoder.decode(Array(body.utf8)), body: body)
        }
        _ = try await pool.withConnection { try EventInbox.insert(records, on: $0) }
    }

    static func replay(_ arguments: [String]) async throws -> [JSONValue] {
        let result = try await CommandResult.run(binary, ["replay"] + arguments, environment: ["LOG_LEVEL": "error"])
        #expect(result.status == 0, "\(result.stderr)")
        return try result.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
    }

    static func without(_ name: String, _ value: JSONValue) -> JSONValue {
        guard case .object(let members) = value else { return value }
        return .object(members.filter { $0.key != name })
    }

    @Test func stateAsOfEqualsReplayOfTheExportAtEveryInstant() async throws {
        let harness = try await APIHarness("read_state")
        // Stored in reverse (arrival order must not matter), every event twice.
        let all = Self.scenarios.values.flatMap { $0 }.reversed()
        try await Self.store(Array(all), in: harness.pool)
        try await Self.store(Array(all), in: harness.pool)
        let export = try await CommandResult.run(Self.binary, ["export"], environment: [
            "DATABASE_URL": harness.configuration.connectionString, "LOG_LEVEL": "error",
        ])
        #expect(export.status == 0, "\(export.stderr)")
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("read-\(UUID().uuidString).ndjson").path
        try export.stdout.write(toFile: log, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: log) }

        var compared = 0
        for instant in Self.instants {
            let replayed = try await Self.replay([log, "--as-of", instant, "--format", "json"])
            for subscription in Self.scenarios.keys.sorted() {
                let reply = try await harness.request("/projects/gigs/subscriptions/\(subscription)/state?asOf=\(instant)")
                #expect(reply.status == .ok, "\(reply.body)")
                #expect(reply.json?["object"] == "subscriptionState" && reply.json?["asOf"] == .string(instant))
                let api = reply.json?["addons"]?.arrayValue ?? []
                let expected = replayed.filter { $0["subscription"]?.stringValue == subscription }.map { Self.without("project", $0) }
                #expect(api == expected, "\(subscription) as of \(instant)")
                compared += expected.count
            }
        }
        #expect(compared > 20, "the instants see add-ons in most scenarios")
        // Spot checks that the fold ran at the instant asked about.
        let latch = try await harness.request("/projects/gigs/subscriptions/sub_latch/state?asOf=2025-12-17T12:00:00Z").json
        #expect(latch?["addons"]?.arrayValue?.first?["status"] == "active" && latch?["addons"]?.arrayValue?.first?["activatedAt"] == "2025-12-16T08:00:00Z")
        let period = try await harness.request("/projects/gigs/subscriptions/sub_period/state?asOf=2025-12-20T12:00:00Z").json
        #expect(period?["addons"]?.arrayValue?.first?["endReason"] == "periodEnded", "the period's end is a fact as of its own end")
    }

    @Test func aLateFactChangesTheAnswerOnlyFromItsLogicalTimeOn() async throws {
        let harness = try await APIHarness("read_late")
        let path = "/projects/gigs/subscriptions/sub_latch/state?asOf="
        try await Self.store(Self.scenarios["sub_latch"]!, in: harness.pool)
        let before = try await harness.request(path + "2025-12-15T18:00:00Z").json
        let after = try await harness.request(path + "2025-12-17T00:00:00Z").json
        #expect(after?["addons"]?.arrayValue?.first?["activatedAt"] == "2025-12-16T08:00:00Z")
        // Arrives now, but says the device latched in France on the evening of the 15th.
        try await Self.store([Fixture.latched("evt_l9", at: "2025-12-15T20:00:00Z", country: "FR", subscription: "sub_latch")], in: harness.pool)
        #expect(try await harness.request(path + "2025-12-15T18:00:00Z").json == before, "before the late fact's time: unchanged")
        let corrected = try await harness.request(path + "2025-12-17T00:00:00Z").json
        #expect(corrected?["addons"]?.arrayValue?.first?["activatedAt"] == "2025-12-15T20:00:00Z")
        #expect(corrected?["addons"]?.arrayValue?.first?["currentPeriod"]?["end"] == "2025-12-22T20:00:00Z")
    }

    @Test func allowancesComeInTheGuidesOrderAndReplayPrintsTheSame() async throws {
        let harness = try await APIHarness("read_allowances")
        let sub = "sub_guide"
        try await Self.store([
            Fixture.created("evt_g1", at: "2025-12-15T10:00:00Z", sad: "sad_world", addon: Fixture.worldwide5GB, subscription: sub),
            Fixture.created("evt_g2", at: "2025-12-15T10:01:00Z", sad: "sad_apac", addon: Fixture.asiaPacific10GB, subscription: sub),
            Fixture.created("evt_g3", at: "2025-12-15T10:02:00Z", sad: "sad_japan", addon: Fixture.japan5GB, subscription: sub),
            Fixture.invoicePaid("evt_g4", at: "2025-12-15T10:05:00Z", invoice: "inv_g", sads: ["sad_world", "sad_apac", "sad_japan"], subscription: sub),
            Fixture.usageStarted("evt_g5", at: "2025-12-16T09:00:00Z", country: "JP", subscription: sub),
        ], in: harness.pool)
        let base = "/projects/gigs/subscriptions/\(sub)/allowances"
        let japan = try await harness.request(base + "?country=JP&at=2025-12-17T00:00:00Z")
        #expect(japan.status == .ok && japan.json?["object"] == "list")
        let items = japan.json?["items"]?.arrayValue ?? []
        #expect(items.compactMap { $0["subscriptionAddon"]?.stringValue } == ["sad_japan", "sad_apac", "sad_world"])
        #expect(items.compactMap { $0["scope"]?.stringValue } == ["country", "regional", "global"])
        #expect(items.first?["addon"] == ["id": "add_japan_5gb", "name": "Japan 5GB"] && items.first?["expiresAt"] == "2025-12-30T09:00:00Z")
        #expect(try await harness.request(base + "?country=DE&at=2025-12-17T00:00:00Z").json?["items"]?.arrayValue?.count == 1)
        #expect(try await harness.request(base + "?at=2025-12-17T00:00:00Z").json?["items"]?.arrayValue?.count == 3)

        let export = try await CommandResult.run(Self.binary, ["export", "--subscription", sub], environment: [
            "DATABASE_URL": harness.configuration.connectionString, "LOG_LEVEL": "error",
        ])
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("guide-\(UUID().uuidString).ndjson").path
        try export.stdout.write(toFile: log, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: log) }
        let offline = try await Self.replay([log, "--as-of", "2025-12-17T00:00:00Z", "--allowances", "JP", "--format", "json"])
        #expect(offline.map { Self.without("subscription", Self.without("project", $0)) } == items)
        let bad = try await CommandResult.run(Self.binary, ["replay", log, "--allowances", "jp"], environment: ["LOG_LEVEL": "error"])
        #expect(bad.status != 0 && bad.stderr.contains("--allowances 'jp'"), "\(bad.stderr)")
    }

    @Test func theSubscriptionShowsItsAddOnsPendingWorkAndFailedEvents() async throws {
        let harness = try await APIHarness("read_subscription")
        try await Self.store(Self.scenarios["sub_latch"]!, in: harness.pool)
        let pending = try await harness.request("/projects/gigs/subscriptions/sub_latch").json
        #expect(pending?["object"] == "subscription" && pending?["id"] == "sub_latch")
        #expect(pending?["pendingWork"] == true && pending?["addons"] == [] && pending?["failedEvents"] == 0)
        while try await harness.pool.withTransaction({ try WorkQueue.processDue(limit: 50, on: $0) }).claimed > 0 {}
        try await harness.pool.withConnection { connection in
            try connection.query("UPDATE events SET status = 'failed' WHERE id = 'evt_l3'")
        }
        let done = try await harness.request("/projects/gigs/subscriptions/sub_latch").json
        #expect(done?["pendingWork"] == false && done?["failedEvents"] == 1)
        #expect(done?["addons"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["sad_l"])
        let stored = try await harness.request("/projects/gigs/subscriptionAddons/sad_l").json
        #expect(done?["addons"]?.arrayValue?.first == stored)
    }

    @Test func badParametersAndUnknownSubscriptionsAreTheProvidersErrors() async throws {
        let harness = try await APIHarness("read_errors")
        try await Self.store(Self.scenarios["sub_creation"]!, in: harness.pool)
        let base = "/projects/gigs/subscriptions"
        for path in ["\(base)/sub_nobody", "\(base)/sub_nobody/state", "\(base)/sub_nobody/allowances", "/projects/other/subscriptions/sub_creation"] {
            let reply = try await harness.request(path)
            #expect(reply.status == .notFound && reply.json?["object"] == "error", "\(path): \(reply.body)")
        }
        for (path, parameter) in [("\(base)/sub_creation/state?asOf=yesterday", "asOf"), ("\(base)/sub_creation/allowances?at=2025-13-01T00:00:00Z", "at"),
                                  ("\(base)/sub_creation/allowances?country=jp", "country"), ("\(base)/sub_creation/allowances?country=UK", "country")] {
            let reply = try await harness.request(path)
            #expect(reply.status == .unprocessableContent, "\(path): \(reply.body)")
            #expect(reply.json?["message"]?.stringValue?.hasPrefix(parameter + ":") == true, "\(reply.body)")
        }
        #expect(try await harness.request("\(base)/sub_creation/state").status == .ok, "asOf defaults to now")
        // Too many events to hold in memory for one request: a clear refusal, not a 5xx.
        try await harness.pool.withConnection { connection in
            try connection.query("""
                INSERT INTO events (id, type, project, subscription, time, body, status)
                SELECT 'evt_many_' || i, 'com.gigs.usage.started', 'gigs', 'sub_many', now(), '{}', 'processed'
                FROM generate_series(1, $1) AS i
                """, [SubscriptionQueries.maximumEvents + 1])
        }
        let many = try await harness.request("\(base)/sub_many/state")
        #expect(many.status == .unprocessableContent && many.json?["code"] == "tooManyEvents", "\(many.body)")
        #expect(try await harness.request("\(base)/sub_creation", token: nil).status == .unauthorized)
    }
}
