import Foundation
import Testing
import Lifecycle
import EventFormat
import LifecycleFixtures

/// Two events with the same id but different bodies: like the inbox, the first one seen wins,
/// in the full fold, in `FactSet`, and in `FactSet.union`.
@Suite struct DuplicateEventTests {
    static let base = t("2025-12-15T00:00:00Z")
    static func at(_ hours: Int64) -> Instant { base.advanced(byMicroseconds: hours * 3_600_000_000) }

    static let addon = AddonSnapshot(
        id: "add_1", activationTrigger: .creation, validity: Validity(unit: .day, value: 30),
        coverage: nil, price: Price(amount: 0, currency: "USD"), raw: ["id": "add_1"])
    static let created = Fact(eventID: "evt_1", time: at(0), subscription: "sub_1",
                              kind: .addonCreated(subscriptionAddon: "sad_1", addon: addon))
    /// Same id, different bodies: the later-arriving copy claims an earlier end.
    static let endLate = Fact(eventID: "evt_2", time: at(10), subscription: "sub_1", kind: .subscriptionEnded)
    static let endEarly = Fact(eventID: "evt_2", time: at(2), subscription: "sub_1", kind: .subscriptionEnded)

    @Test func theFirstCopyWinsNotTheEarliest() throws {
        let now = Self.at(100)
        let lateFirst = [Self.created, Self.endLate, Self.endEarly]
        let earlyFirst = [Self.created, Self.endEarly, Self.endLate]
        #expect(Lifecycle.evaluate(facts: lateFirst, now: now)["sad_1"]?.endedAt == Self.at(10))
        #expect(Lifecycle.evaluate(facts: earlyFirst, now: now)["sad_1"]?.endedAt == Self.at(2))
        #expect(FactSet(lateFirst).evaluate(now: now) == Lifecycle.evaluate(facts: lateFirst, now: now))
        #expect(FactSet(earlyFirst).evaluate(now: now) == Lifecycle.evaluate(facts: earlyFirst, now: now))
        #expect(FactSet(lateFirst).fact(eventID: "evt_2") == Self.endLate)
    }

    @Test func unionKeepsTheReceiversFactsThenTheOthersInTheirOrder() {
        let latch = Fact(eventID: "evt_3", time: Self.at(1), subscription: "sub_1", kind: .networkLatched(country: "JP"))
        let usage = Fact(eventID: "evt_0", time: Self.at(5), subscription: "sub_1", kind: .usageStarted(country: "JP"))
        let a = FactSet([Self.created, Self.endLate])
        let b = FactSet([usage, Self.endEarly, latch])
        #expect(a.union(b).facts == [Self.created, Self.endLate, usage, latch])
        #expect(b.union(a).facts == [usage, Self.endEarly, latch, Self.created])
        let now = Self.at(100)
        #expect(a.union(b).evaluate(now: now) == Lifecycle.evaluate(facts: a.facts + b.facts, now: now))
        #expect(b.union(a).evaluate(now: now) == Lifecycle.evaluate(facts: b.facts + a.facts, now: now))
        #expect(a.union(b).evaluate(now: now)["sad_1"]?.endedAt == Self.at(10))
        #expect(b.union(a).evaluate(now: now)["sad_1"]?.endedAt == Self.at(2))
    }

    @Test func codableKeepsInsertionOrder() throws {
        let set = FactSet([Self.endLate, Self.created])
        let decoded = try JSONDecoder().decode(FactSet.self, from: try JSONEncoder().encode(set))
        #expect(decoded.facts == [Self.endLate, Self.created])
        #expect(set.sortedFacts == [Self.created, Self.endLate])
    }
}

/// The same rule in the fold itself and in `FactSet`, for facts of several subscriptions at once:
/// the subscription whose `created` comes first in sequence owns the add-on.
@Suite struct AddonOwnershipTests {
    @Test func theFirstCreatedInSequenceOwnsTheAddon() throws {
        let facts = try Fixture.facts([
            Fixture.created("evt_2", at: "2025-12-15T10:30:00Z", sad: "sad_x", addon: Fixture.freeTopUp),
            Fixture.created("evt_1", at: "2025-12-14T00:00:00Z", sad: "sad_x", addon: Fixture.freeTopUp, subscription: Fixture.otherSubscription),
        ])
        let now = t("2025-12-20T00:00:00Z")
        for ordered in [facts, facts.reversed()] {
            let full = Lifecycle.evaluate(facts: ordered, now: now)
            #expect(full["sad_x"]?.subscription == ordered[0].subscription)
            #expect(FactSet(ordered).evaluate(now: now) == full)
        }
        // One subscription's facts: the earliest creation wins, whatever the order.
        let own = try Fixture.facts([
            Fixture.created("evt_4", at: "2025-12-15T10:30:00Z", sad: "sad_y", addon: Fixture.freeTopUp),
            Fixture.created("evt_3", at: "2025-12-14T00:00:00Z", sad: "sad_y", addon: Fixture.freeTopUp),
        ])
        #expect(Lifecycle.evaluate(facts: own, now: now)["sad_y"]?.createdAt == t("2025-12-14T00:00:00Z"))
    }
}
