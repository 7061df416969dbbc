import Foundation
import Testing
import PropertyBased
@testable import Lifecycle
import EventFormat
import LifecycleFixtures

/// SPEC §3's determinism promises, checked on random fact sets against the full fold.
@Suite struct PropertyTests {
    static let count = 300

    @Test func shufflingFactsGivesTheSameState() async {
        await propertyCheck(count: Self.count, input: RandomScenario.generator) { scenario in
            var rng = SplitMix(seed: UInt64(scenario.facts.count))
            let shuffled = scenario.facts.shuffled(using: &rng)
            for now in scenario.nows {
                #expect(Lifecycle.evaluate(facts: shuffled, now: now) == Lifecycle.evaluate(facts: scenario.facts, now: now))
            }
        }
    }

    @Test func duplicatedFactsGiveTheSameState() async {
        await propertyCheck(count: Self.count, input: RandomScenario.generator) { scenario in
            var rng = SplitMix(seed: UInt64(scenario.nows.count))
            let repeated = (scenario.facts + scenario.facts.filter { _ in Bool.random(using: &rng) }).shuffled(using: &rng)
            var set = FactSet(scenario.facts)
            for fact in repeated { set.insert(fact) }
            #expect(set.count == scenario.facts.count)
            for now in scenario.nows {
                let expected = Lifecycle.evaluate(facts: scenario.facts, now: now)
                #expect(Lifecycle.evaluate(facts: repeated, now: now) == expected)
                #expect(set.evaluate(now: now) == expected)
            }
        }
    }

    /// Same event id, different body: the first in sequence order wins, wherever the copy lands,
    /// in the full fold, in `FactSet` and through `union`.
    @Test func duplicatesWithDifferentBodiesFirstWins() async {
        await propertyCheck(count: Self.count, input: RandomScenario.generator) { scenario in
            var rng = SplitMix(seed: UInt64(scenario.facts.count * 31 + scenario.nows.count))
            // Impostors: an original's id on another fact's time, subscription and kind.
            let impostors = scenario.facts.filter { _ in Bool.random(using: &rng) }.map { original in
                let body = scenario.facts.randomElement(using: &rng)!
                return Fact(eventID: original.eventID, time: body.time, subscription: body.subscription, kind: body.kind)
            }
            // Originals first, impostors inserted at random positions after them.
            var sequence = scenario.facts
            for impostor in impostors {
                let original = sequence.firstIndex { $0.eventID == impostor.eventID }!
                sequence.insert(impostor, at: Int.random(in: (original + 1)...sequence.count, using: &rng))
            }
            // Impostors first: they become the facts that count.
            let impostorsFirst = impostors + scenario.facts
            let replaced = scenario.facts.map { fact in impostors.first { $0.eventID == fact.eventID } ?? fact }
            let originals = FactSet(scenario.facts)
            #expect(FactSet(sequence) == originals)
            #expect(originals.union(FactSet(impostors)) == originals)
            #expect(FactSet(impostors).union(originals) == FactSet(replaced))
            for now in scenario.nows {
                let expected = Lifecycle.evaluate(facts: scenario.facts, now: now)
                #expect(Lifecycle.evaluate(facts: sequence, now: now) == expected)
                #expect(FactSet(sequence).evaluate(now: now) == expected)
                #expect(originals.union(FactSet(impostors)).evaluate(now: now) == expected)
                let expectedReplaced = Lifecycle.evaluate(facts: replaced, now: now)
                #expect(Lifecycle.evaluate(facts: impostorsFirst, now: now) == expectedReplaced)
                #expect(FactSet(impostorsFirst).evaluate(now: now) == expectedReplaced)
            }
        }
    }

    @Test func batchesMergedInAnyOrderGiveTheSameState() async {
        await propertyCheck(count: Self.count, input: RandomScenario.generator, Gen.int(in: 1...5)) { scenario, batchCount in
            var rng = SplitMix(seed: UInt64(batchCount))
            var batches = [[Fact]](repeating: [], count: batchCount)
            for fact in scenario.facts {
                // Some facts land in two batches: overlapping deliveries.
                batches[Int.random(in: 0..<batchCount, using: &rng)].append(fact)
                if Int.random(in: 0..<5, using: &rng) == 0 { batches[Int.random(in: 0..<batchCount, using: &rng)].append(fact) }
            }
            var merged = FactSet()
            for batch in batches.shuffled(using: &rng) { merged.formUnion(FactSet(batch)) }
            var applied = FactSet()
            for batch in batches { applied.insert(contentsOf: batch) }
            #expect(merged == applied)
            for now in scenario.nows {
                let expected = Lifecycle.evaluate(facts: scenario.facts, now: now)
                #expect(merged.evaluate(now: now) == expected)
                #expect(applied.evaluate(now: now) == expected)
            }
        }
    }

    /// Replay's path (distinct facts straight to sorted add-ons) gives what the workers' does.
    @Test func replaysSortedAddonsAreTheFoldsSortedAddons() async {
        await propertyCheck(count: Self.count, input: RandomScenario.generator) { scenario in
            let distinct = FactSet(scenario.facts).facts
            for now in scenario.nows {
                #expect(Lifecycle.sortedAddons(distinctFacts: distinct, now: now)
                    == Lifecycle.evaluate(facts: scenario.facts, now: now).sortedAddons)
            }
        }
    }

    /// Past 16 add-ons the full fold finds them through dictionaries instead of by comparison;
    /// the indexed fold must still agree at every instant.
    @Test func wideFoldsAgreeWithTheIndexedFold() async {
        await propertyCheck(count: 40, input: RandomScenario.wideGenerator) { scenario in
            let set = FactSet(scenario.facts)
            #expect(Set(scenario.facts.compactMap { fact -> String? in
                if case .addonCreated(let sad, _) = fact.kind { return sad } else { return nil }
            }).count > 12)
            for now in scenario.nows.enumerated().filter({ $0.offset % 8 == 0 }).map(\.element) {
                #expect(set.evaluate(now: now) == Lifecycle.evaluate(facts: scenario.facts, now: now))
            }
        }
    }

    @Test func incrementalFoldEqualsFullFoldAfterEveryFact() async {
        await propertyCheck(count: Self.count, input: RandomScenario.generator) { scenario in
            var set = FactSet()
            for (i, fact) in scenario.facts.enumerated() {
                set.insert(fact)
                let now = scenario.nows[i % scenario.nows.count]
                #expect(set.evaluate(now: now) == Lifecycle.evaluate(facts: scenario.facts[...i], now: now))
            }
        }
    }

    @Test func statusOnlyMovesForwardAsNowGrows() async {
        await propertyCheck(count: Self.count, input: RandomScenario.generator) { scenario in
            let set = FactSet(scenario.facts)
            var last: [String: AddonState] = [:]
            for now in scenario.nows {
                let state = set.evaluate(now: now)
                for (sad, before) in last {
                    let after = try #require(state[sad], "an add-on disappeared")
                    #expect(before.status <= after.status)
                    if let activated = before.activatedAt { #expect(after.activatedAt == activated) }
                    if let ended = before.endedAt { #expect(after.endedAt == ended && after.endReason == before.endReason) }
                }
                last = state.addons
            }
        }
    }

    @Test func stateIsConsistentAtEveryInstant() async {
        await propertyCheck(count: Self.count, input: RandomScenario.generator) { scenario in
            let set = FactSet(scenario.facts)
            for now in scenario.nows {
                for addon in set.evaluate(now: now).addons.values {
                    #expect(addon.createdAt <= now)
                    if let eligible = addon.eligibleAt { #expect(eligible >= addon.createdAt) }
                    if let activated = addon.activatedAt {
                        #expect(activated <= now)
                        #expect(activated >= (addon.eligibleAt ?? .max))
                    }
                    if let ended = addon.endedAt {
                        #expect(ended <= now && ended >= addon.createdAt)
                        #expect(ended > (addon.activatedAt ?? .min))
                    }
                    #expect((addon.endedAt != nil) == (addon.endReason != nil))
                    #expect((addon.canceledAt != nil) == (addon.endReason == .canceled))
                    #expect((addon.currentPeriod != nil) == (addon.status == .active))
                    switch addon.status {
                    case .pending: #expect(addon.activatedAt == nil && addon.endedAt == nil)
                    case .active: #expect(addon.activatedAt != nil && addon.endedAt == nil)
                    case .ended: #expect(addon.endedAt != nil)
                    }
                    if addon.endReason == .expired || addon.endReason == .periodEnded {
                        #expect(addon.activatedAt != nil)
                    }
                }
            }
        }
    }

    /// The worker sleeps until `nextDueAt`: nothing may change before it, something must change at it.
    @Test func nextDueAtIsExactlyTheNextChange() async {
        await propertyCheck(count: Self.count, input: RandomScenario.generator) { scenario in
            let set = FactSet(scenario.facts)
            for now in scenario.nows {
                let state = set.evaluate(now: now)
                if let due = state.nextDueAt {
                    #expect(due > now)
                    #expect(set.evaluate(now: due.advanced(byMicroseconds: -1)) == state)
                    #expect(set.evaluate(now: due) != state)
                } else {
                    #expect(set.evaluate(now: Instant(year: 2999, month: 1, day: 1)!) == state)
                }
            }
        }
    }

    /// A worker that wakes at arbitrary instants and diffs successive states records exactly the
    /// transitions of the final state, each once, never before it is due.
    @Test func everyTransitionIsRecordedOnceWhateverTheWakeUps() async {
        await propertyCheck(count: Self.count, input: RandomScenario.generator) { scenario in
            let set = FactSet(scenario.facts)
            var previous: SubscriptionState?
            var outbox: [Transition] = []
            for now in scenario.nows {
                let state = set.evaluate(now: now)
                let new = Lifecycle.transitions(from: previous, to: state)
                for transition in new { #expect(transition.at <= now) }
                outbox += new
                previous = state
            }
            #expect(Set(outbox.map(\.key)).count == outbox.count, "a transition was recorded twice")
            let final = Lifecycle.transitions(in: set.evaluate(now: scenario.nows.last!), alreadyRecorded: [])
            #expect(Set(outbox) == Set(final))
            for addon in set.evaluate(now: scenario.nows.last!).addons.values where addon.activatedAt == nil {
                #expect(!outbox.contains { $0.subscriptionAddon == addon.id && $0.kind == .activated })
            }
        }
    }

    /// Stored fact sets come back identical, raw add-on JSON byte for byte: key order kept, a
    /// 30-digit integer and `1e400` exact.
    @Test func factSetSurvivesCodableRoundTrip() async throws {
        await propertyCheck(count: 50, input: RandomScenario.generator) { scenario in
            let facts = scenario.facts.map { fact -> Fact in
                guard case .addonCreated(let sad, var addon) = fact.kind else { return fact }
                addon.raw = Self.realisticRaw(addon)
                return Fact(eventID: fact.eventID, time: fact.time, subscription: fact.subscription,
                            kind: .addonCreated(subscriptionAddon: sad, addon: addon))
            }
            let set = FactSet(facts)
            let decoded = try JSONDecoder().decode(FactSet.self, from: try JSONEncoder().encode(set))
            #expect(decoded == set)
            #expect(decoded.facts == set.facts)
            for (before, after) in zip(set.facts, decoded.facts) {
                if case .addonCreated(_, let a) = before.kind, case .addonCreated(_, let b) = after.kind {
                    #expect(b.raw.jsonString == a.raw.jsonString)
                }
            }
            #expect(decoded.evaluate(now: scenario.nows.last!) == set.evaluate(now: scenario.nows.last!))
        }
    }

    /// A provider-style add-on object: many keys in non-alphabetical order, nested objects, a
    /// huge integer and a number beyond Double's range.
    static func realisticRaw(_ addon: AddonSnapshot) -> JSONValue {
        let huge = JSONNumber(literal: "123456789012345678901234567890")!
        return [
            "object": "addon", "id": .string(addon.id), "name": "Asia Pacific 10GB", "type": "topUp",
            "activationTrigger": .string(addon.activationTrigger.rawValue),
            "coverage": addon.coverage.map { c in ["object": "coverage", "countries": .array(c.countries.map(JSONValue.string))] } ?? nil,
            "validity": addon.validity.map { v in ["unit": .string(v.unit.rawValue), "value": .int(v.value)] } ?? nil,
            "allowances": ["dataBytes": .number(huge), "voiceSeconds": nil, "smsMessages": nil],
            "price": ["amount": .number(JSONNumber(addon.price.amount)), "currency": "USD"],
            "metadata": ["zeta": 1, "alpha": .number(JSONNumber(literal: "1e400")!), "mid": 1.5],
        ]
    }
}

