import Foundation
import Lifecycle
import EventFormat
import LifecycleFixtures
import Postgres
import Store
import TestSupport
import Testing

/// What ingest acknowledges, the workers can store and fold; and one event that cannot be applied
/// costs its subscription nothing else (its other facts, its state, its timers).
@Suite(.timeLimit(.minutes(3)))
struct PoisonTests {
    static let subscription = "sub_poison"

    static func created(_ id: String, sad: String, at time: String, addon: String) -> String {
        #"{"object":"event","id":"\#(id)","type":"com.gigs.subscriptionAddon.created","time":"\#(time)","project":"gigs","data":{"id":"\#(sad)","subscription":"\#(subscription)","addon":\#(addon)}}"#
    }

    /// A free add-on that activates at creation and lasts a week; `extra` is spliced into its object.
    static func weekPass(_ id: String, extra: String = "") -> String {
        #"{"id":"\#(id)","activationTrigger":"creation","validity":{"unit":"day","value":7},"coverage":null,"price":{"amount":0,"currency":"USD"}\#(extra)}"#
    }

    /// Stores bodies as ingest does (decoded first: only what the decoder accepts).
    static func store(_ bodies: [String], in pool: PostgresPool) async throws {
        let records = try bodies.map { InboxRecord(try EventDecoder.decode($0), body: $0) }
        _ = try await pool.withConnection { connection in try EventInbox.insert(records, on: connection) }
    }

    /// Runs the workers' batches until nothing is due, making retries due at once; each outcome.
    static func drain(_ pool: PostgresPool, makeRetriesDue: Bool = true) async throws -> [WorkQueue.Outcome] {
        var outcomes: [WorkQueue.Outcome] = []
        for _ in 0..<40 {
            let outcome = try await pool.withTransaction { try WorkQueue.processDue(limit: 50, on: $0) }
            outcomes.append(outcome)
            // As the worker service does: a subscription past its attempts, in a transaction of its own.
            for key in outcome.toIsolate {
                if let isolated = try await pool.withTransaction({ try WorkQueue.isolate(key, on: $0) }) { outcomes.append(isolated) }
            }
            if outcome.retried > 0, makeRetriesDue {
                try await pool.withConnection { try $0.query("UPDATE work SET due_at = now() WHERE attempts > 0") }
                continue
            }
            if outcome.claimed == 0 { break }
        }
        return outcomes
    }

    @Test func aNumberJSONAllowsButNumericCannotHoldIsStoredAsSent() async throws {
        let pool = try await TestDatabase.pool("poison_number")
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        let extra = #","allowances":{"dataBytes":1e999999,"voiceSeconds":-1e-999999,"smsMessages":1e131071}"#
        try await Self.store([Self.created("evt_big", sad: "sad_big", at: "2025-12-15T10:30:00Z", addon: Self.weekPass("add_big", extra: extra))], in: pool)
        let outcomes = try await Self.drain(pool)
        #expect(outcomes.allSatisfy { $0.retried == 0 }, "a database error while storing the add-on")
        let (status, addon) = try await pool.withConnection { connection in
            try connection.query("SELECT status, addon::text FROM subscription_addons WHERE id = 'sad_big'")[0].decode((String, String).self)
        }
        #expect(status == "ended")
        #expect(addon.contains("1e999999") && addon.contains("-1e-999999") && addon.contains("1e131071"), "\(addon)")
        let objects = try await pool.withConnection { try AddonQueries.objects(project: "gigs", subscriptions: [Self.subscription], on: $0) }
        #expect(objects[Self.subscription]?["sad_big"]?["addon"]?["allowances"]?["dataBytes"] == .number(JSONNumber(literal: "1e999999")!))
    }

    /// A write the database refuses for one add-on (made certain here with a trigger) fails that
    /// event alone: the add-on already active keeps its expiry timer, the other new one is applied.
    @Test func oneFailingEventLeavesTheRestOfItsSubscriptionAndItsTimers() async throws {
        let pool = try await TestDatabase.pool("poison_isolation")
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        try await pool.withConnection { connection in
            _ = try connection.simpleQuery("""
                CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'this add-on cannot be stored'; END $$;
                CREATE TRIGGER refuse_poison BEFORE INSERT OR UPDATE ON subscription_addons
                FOR EACH ROW WHEN (NEW.id = 'sad_poison') EXECUTE FUNCTION refuse_poison();
                """)
        }
        let now = Date()
        func time(_ offset: TimeInterval) -> String { Instant(unixSeconds: Int64(now.timeIntervalSince1970 + offset)).rfc3339 }
        try await Self.store([Self.created("evt_active", sad: "sad_active", at: time(-3_600), addon: Self.weekPass("add_week"))], in: pool)
        _ = try await Self.drain(pool)
        try await Self.store([
            Self.created("evt_poison", sad: "sad_poison", at: time(-60), addon: Self.weekPass("add_week")),
            Self.created("evt_next", sad: "sad_next", at: time(-30), addon: Self.weekPass("add_week")),
        ], in: pool)
        _ = try await Self.drain(pool)

        let statuses = try await pool.withConnection { connection in
            Dictionary(uniqueKeysWithValues: try connection.query("SELECT id, status, coalesce(last_error, '') FROM events").map {
                let (id, status, error) = try $0.decode((String, String, String).self)
                return (id, (status, error))
            })
        }
        #expect(statuses["evt_poison"]?.0 == "failed")
        #expect(statuses["evt_poison"]?.1.contains("this add-on cannot be stored") == true)
        #expect(statuses["evt_active"]?.0 == "processed")
        #expect(statuses["evt_next"]?.0 == "processed", "the subscription's other event was failed with the poison")
        let addons = try await pool.withConnection { connection in
            try connection.query("SELECT id, status FROM subscription_addons ORDER BY id").map { try $0.decode((String, String).self) }
        }
        #expect(addons.map(\.0) == ["sad_active", "sad_next"] && addons.allSatisfy { $0.1 == "active" }, "\(addons)")
        // The work row stays, due when the first week pass expires.
        let due = try await pool.withConnection { connection in
            try connection.query("SELECT due_at, attempts FROM work WHERE subscription = $1", [Self.subscription]).first?.decode((PostgresTimestamp, Int).self)
        }
        let expectedExpiry = Instant(unixSeconds: Int64(now.timeIntervalSince1970 - 3_600)).advanced(byMicroseconds: 7 * Instant.microsecondsPerDay)
        #expect(due.map { Instant($0.0) } == expectedExpiry, "the subscription lost its expiry timer")
        #expect(due?.1 == 0)
    }

    /// Any event the decoder accepts, with values at the edges of JSON anywhere in it, is stored
    /// and folded by a worker without a database error.
    @Test func everyEventIngestAcceptsIsProcessedWithoutADatabaseError() async throws {
        let pool = try await TestDatabase.pool("poison_fuzz", size: 2)
        try await Migrator(logger: TestDatabase.logger).migrate(pool)
        let seed = UInt64(ProcessInfo.processInfo.environment["FUZZ_SEED"] ?? "") ?? UInt64.random(in: 1...UInt64.max)
        var rng = SplitMix(seed: seed)
        var bodies: [String] = []
        var accepted = 0
        for index in 0..<600 {
            let body = EdgeValues.event(index: index, using: &rng)
            guard (try? EventDecoder.decode(body)) != nil else { continue }
            accepted += 1
            bodies.append(body)
        }
        #expect(accepted > 300, "seed \(seed): the generator should mostly make valid events")
        for chunk in stride(from: 0, to: bodies.count, by: 100).map({ Array(bodies[$0..<min($0 + 100, bodies.count)]) }) {
            try await Self.store(chunk, in: pool)
        }
        let outcomes = try await Self.drain(pool, makeRetriesDue: false)
        let (failed, errors, pending) = try await pool.withConnection { connection in
            try connection.query("""
                SELECT (SELECT count(*) FROM events WHERE status = 'failed'), (SELECT count(*) FROM work WHERE last_error IS NOT NULL),
                       (SELECT count(*) FROM events WHERE status = 'pending')
                """)[0].decode((Int, Int, Int).self)
        }
        #expect(outcomes.allSatisfy { $0.retried == 0 } && failed == 0 && errors == 0 && pending == 0,
                "seed \(seed): \(failed) failed, \(errors) work rows with errors, \(pending) pending")
    }
}

/// Events of every type with JSON's edge values spliced in where the lifecycle does not look
/// (numbers beyond any numeric type, escapes, deep and wide values, long strings) and typical
/// values where it does.
enum EdgeValues {
    static let values = [
        "1e999999", "-1e999999", "1e-999999", "1E+400", "-0", "0.0000000000000000000000000000001", "123456789012345678901234567890123456789",
        "1e131071", "-4.9e-324", "1.7976931348623157e308", #""\u00e9\ud83d\ude00\u2028\u0007""#, #""\\\"\/\b\f\n\r\t""#,
        "\"" + String(repeating: "x", count: 20_000) + "\"", "[[[[[[[[[[1]]]]]]]]]]", #"{"a":{"b":{"c":[null,true,false,{}]}}}"#,
        "[" + Array(repeating: "1e308", count: 500).joined(separator: ",") + "]", #""日本語 ßü""#, "null", "{}", "[]",
    ]

    static func event(index: Int, using rng: inout SplitMix) -> String {
        func value() -> String { values.randomElement(using: &rng)! }
        func extra() -> String { Bool.random(using: &rng) ? #","x\#(Int.random(in: 0..<5, using: &rng))":\#(value())"# : "" }
        let sub = "sub_\(index % 60)"
        let sad = "sad_\(index % 60)_\(index % 3)"
        let time = "2025-12-\(10 + index % 15)T\(10 + index % 12):00:00Z"
        let type: String
        let data: String
        switch Int.random(in: 0..<7, using: &rng) {
        case 0, 1:
            type = "com.gigs.subscriptionAddon.created"
            let trigger = ["creation", "networkLatch", "usageStarted"].randomElement(using: &rng)!
            let validity = Bool.random(using: &rng) ? #"{"unit":"day","value":\#(Int.random(in: 1...30, using: &rng))}"# : "null"
            let allowances = #"{"dataBytes":\#(value()),"voiceSeconds":\#(value()),"smsMessages":\#(value())\#(extra())}"#
            data = #"{"id":"\#(sad)","subscription":"\#(sub)","addon":{"object":"addon","id":"add_\#(index % 7)","name":\#(value()),"activationTrigger":"\#(trigger)","validity":\#(validity),"coverage":{"id":"cp","countries":["JP","DE"],"name":\#(value())},"allowances":\#(allowances),"price":{"amount":\#([0, 999].randomElement(using: &rng)!),"currency":"USD"},"metadata":\#(value())\#(extra())}\#(extra())}"#
        case 2:
            type = "com.gigs.invoice.paid"
            data = #"{"id":"inv_\#(index)","subscription":"\#(sub)","total":\#(value()),"lineItems":[{"subscriptionAddon":"\#(sad)","amount":\#(value())}]\#(extra())}"#
        case 3:
            type = ["com.gigs.network.latched", "com.gigs.usage.started"].randomElement(using: &rng)!
            data = #"{"subscription":"\#(sub)","country":"\#(["JP", "DE", "US"].randomElement(using: &rng)!)","provider":\#(value())\#(extra())}"#
        case 4:
            type = "com.gigs.subscription.periodEnded"
            data = #"{"subscription":"\#(sub)","period":{"number":1,"start":"2025-11-01T00:00:00Z","end":"2025-12-\#(20 + index % 8)T00:00:00Z"}\#(extra())}"#
        case 5:
            type = "com.gigs.subscriptionAddon.canceled"
            data = #"{"id":"\#(sad)","subscription":"\#(sub)"\#(extra())}"#
        default:
            type = "com.gigs.something.else"
            data = value()
        }
        return #"{"object":"event","id":"evt_edge_\#(index)","type":"\#(type)","time":"\#(time)","project":"gigs","data":\#(data)\#(extra())}"#
    }
}
