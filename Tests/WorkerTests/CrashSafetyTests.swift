import Foundation
import Lifecycle
import EventFormat
import Postgres
import Store
import Processes
import TestSupport
import Testing

/// Three `work` processes over hundreds of subscriptions while one of them is killed with SIGKILL
/// again and again. Afterwards nothing is lost (every event processed), nothing is doubled (each
/// transition at most once) and nothing is unexpected (state equals the fold of the log).
@Suite(.serialized, .timeLimit(.minutes(5)))
struct CrashSafetyTests {
    static let subscriptions = 400

    /// A realistic mix per subscription: a paid Europe pass with latch, a free top-up ending with
    /// the period, and for some a cancellation or the subscription's end.
    static func events(for index: Int) -> [String] {
        let sub = "sub_\(index)"
        func envelope(_ id: String, _ type: String, _ time: String, _ data: String) -> String {
            #"{"object":"event","id":"\#(id)_\#(index)","type":"\#(type)","time":"\#(time)","project":"chaos","data":\#(data)}"#
        }
        var events = [
            envelope("evt_pass", "com.gigs.subscriptionAddon.created", "2025-12-15T10:30:00Z", """
                {"id":"sad_pass_\(index)","subscription":"\(sub)","addon":{"id":"add_eu","activationTrigger":"networkLatch",\
                "coverage":{"id":"cp_eu","countries":["DE","FR"],"name":"EU"},"validity":{"unit":"day","value":7},"price":{"amount":499,"currency":"USD"}}}
                """),
            envelope("evt_paid", "com.gigs.invoice.paid", "2025-12-15T10:31:00Z",
                     #"{"id":"inv_\#(index)","subscription":"\#(sub)","lineItems":[{"subscriptionAddon":"sad_pass_\#(index)"}]}"#),
            envelope("evt_latch", "com.gigs.network.latched", "2025-12-1\(index % 9)T08:00:00Z", #"{"subscription":"\#(sub)","country":"\#(index % 3 == 0 ? "JP" : "DE")"}"#),
            envelope("evt_topup", "com.gigs.subscriptionAddon.created", "2025-12-16T00:00:00Z", """
                {"id":"sad_top_\(index)","subscription":"\(sub)","addon":{"id":"add_top","activationTrigger":"creation",\
                "coverage":null,"validity":null,"price":{"amount":0,"currency":"USD"}}}
                """),
            envelope("evt_period", "com.gigs.subscription.periodEnded", "2026-01-01T00:00:00Z",
                     #"{"subscription":"\#(sub)","period":{"number":1,"start":"2025-12-01T00:00:00Z","end":"2026-01-01T00:00:00Z"}}"#),
        ]
        if index % 5 == 0 {
            events.append(envelope("evt_cancel", "com.gigs.subscriptionAddon.canceled", "2025-12-17T00:00:00Z", #"{"id":"sad_pass_\#(index)","subscription":"\#(sub)"}"#))
        }
        if index % 7 == 0 {
            events.append(envelope("evt_ended", "com.gigs.subscription.ended", "2025-12-16T12:00:00Z", #"{"id":"\#(sub)"}"#))
        }
        return events
    }

    static func record(_ body: String) throws -> InboxRecord {
        let event = try EventDecoder.decode(Array(body.utf8))
        return InboxRecord(event, body: body)
    }

    @Test func killedWorkersLoseNothingAndDoubleNothing() async throws {
        let configuration = try await TestDatabase.create("chaos")
        let pool = PostgresPool(configuration: configuration, size: 2, logger: TestDatabase.logger)
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        let environment = ["DATABASE_URL": configuration.connectionString, "LOG_LEVEL": "critical"]
        func spawn() async throws -> ChildProcess {
            try await ChildProcess.start(ChildProcess.addonLifecycle, ["work", "--workers", "2"], environment: environment)
        }
        var workers: [ChildProcess] = []
        for _ in 0..<3 { workers.append(try await spawn()) }
        var kills = 0

        // Deliver in shuffled batches (out of order across subscriptions and within them), killing
        // the first worker every few batches and starting a fresh one in its place.
        var all = (0..<Self.subscriptions).flatMap(Self.events(for:))
        all.shuffle()
        let batches = stride(from: 0, to: all.count, by: 50).map { Array(all[$0..<min($0 + 50, all.count)]) }
        for (number, batch) in batches.enumerated() {
            let records = try batch.map(Self.record)
            try await pool.withConnection { connection in _ = try EventInbox.insert(records, on: connection) }
            try await pool.withConnection { connection in try EventInbox.notifyWorkers(on: connection) }
            if number % 4 == 3 {
                try await workers[0].stop(SIGKILL)
                kills += 1
                workers[0] = try await spawn()
            }
            try await Task.sleep(for: .milliseconds(20))
        }

        // Drain: nothing pending and no work due (bounded generously).
        for _ in 0..<1_200 {
            let (pending, due) = try await pool.withConnection { connection in
                (try connection.query("SELECT count(*) FROM events WHERE status = 'pending'")[0].decode(Int.self, column: 0),
                 try connection.query("SELECT count(*) FROM work WHERE due_at <= now()")[0].decode(Int.self, column: 0))
            }
            if pending == 0 && due == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        for worker in workers { try await worker.stop(SIGTERM) }
        #expect(kills >= 5)

        // Lost: every acknowledged (stored) event processed.
        let statuses = try await pool.withConnection { connection in
            try connection.query("SELECT status, count(*) FROM events GROUP BY status").map { try $0.decode((String, Int).self) }
        }
        #expect(Dictionary(uniqueKeysWithValues: statuses) == ["processed": all.count])

        // Duplicated effect: each transition at most once per add-on and kind (and each correction
        // once per number: late facts in shuffled batches legitimately correct what was announced).
        let doubled = try await pool.withConnection { connection in
            try connection.query("""
                SELECT count(*) FROM (SELECT 1 FROM transitions GROUP BY subscription_addon, kind, correction HAVING count(*) > 1) d
                """)[0].decode(Int.self, column: 0)
        }
        #expect(doubled == 0)

        // Unexpected: the stored state and transitions are exactly the fold of the log.
        let (bodies, now) = try await pool.withConnection { connection in
            (try connection.query("SELECT body FROM events").map { try $0.decode(String.self, column: 0) },
             try connection.query("SELECT now()")[0].decode(PostgresTimestamp.self, column: 0))
        }
        let facts = try bodies.compactMap { try EventDecoder.decode(Array($0.utf8)).fact }
        var expected: [String: (String, PostgresTimestamp?, PostgresTimestamp?, String?)] = [:]
        var expectedTransitions = Set<String>()
        for (_, subscriptionFacts) in Dictionary(grouping: facts, by: \.subscription) {
            let state = Lifecycle.evaluate(facts: subscriptionFacts, now: Instant(now))
            for addon in state.sortedAddons {
                expected[addon.id] = (addon.status.rawValue, addon.activatedAt.map(PostgresTimestamp.init),
                                      addon.endedAt.map(PostgresTimestamp.init), addon.endReason?.rawValue)
            }
            for transition in Lifecycle.transitions(in: state, alreadyRecorded: []) {
                expectedTransitions.insert("\(transition.subscriptionAddon)/\(transition.kind.rawValue)")
            }
        }
        let stored = try await pool.withConnection { connection in
            try connection.query("SELECT id, status, activated_at, ended_at, end_reason FROM subscription_addons")
                .map { try $0.decode((String, String, PostgresTimestamp?, PostgresTimestamp?, String?).self) }
        }
        #expect(stored.count == expected.count)
        var mismatches = 0
        for row in stored {
            guard let want = expected[row.0] else { mismatches += 1; continue }
            if want.0 != row.1 || want.1 != row.2 || want.2 != row.3 || want.3 != row.4 { mismatches += 1 }
        }
        #expect(mismatches == 0, "\(mismatches) add-ons differ from the fold of the log")
        let storedTransitions = try await pool.withConnection { connection in
            try connection.query("SELECT subscription_addon, kind FROM transitions").map { row in
                let (addon, kind) = try row.decode((String, String).self)
                return "\(addon)/\(kind)"
            }
        }
        // Every transition the final state implies is recorded. More may be: a worker that saw the
        // facts before a late one (say, a cancellation preceding activation) recorded what was
        // true then, and recorded transitions are never retracted or repeated (SPEC §3).
        let missing = expectedTransitions.subtracting(storedTransitions)
        #expect(missing.isEmpty, "\(missing.count) transitions missing, e.g. \(missing.prefix(3))")
    }
}
