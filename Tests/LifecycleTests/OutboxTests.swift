import Foundation
import Testing
import PropertyBased
import Lifecycle
import EventFormat
import LifecycleFixtures

/// The outbox of SPEC §6: each transition once, with the add-on as of its instant, and a correction
/// whenever a late fact made an announcement wrong.
@Suite struct OutboxTests {
    static let week: [JSONValue] = [
        Fixture.created("evt_01", at: "2025-12-15T10:30:00Z", sad: "sad_eu", addon: Fixture.europeWeekPass),
        Fixture.invoicePaid("evt_02", at: "2025-12-15T10:31:00Z", sads: ["sad_eu"]),
        Fixture.latched("evt_03", at: "2025-12-16T08:00:00Z", country: "DE"),
    ]

    /// Folds `envelopes` at each `now` in turn, recording what the outbox asks for; every entry.
    static func run(_ steps: [([JSONValue], String)]) throws -> (entries: [OutboxEntry], recorded: RecordedOutbox) {
        var known: [Fact] = []
        var recorded = RecordedOutbox()
        var entries: [OutboxEntry] = []
        for (envelopes, now) in steps {
            known += try Fixture.facts(envelopes)
            let evaluation = Lifecycle.evaluate(facts: known, now: t(now), recorded: recorded)
            recorded.record(evaluation.outbox)
            entries += evaluation.outbox
        }
        return (entries, recorded)
    }

    @Test func eachTransitionOnceWithTheAddonAsOfItsInstant() throws {
        let (entries, _) = try Self.run([(Self.week, "2025-12-17T00:00:00Z"), ([], "2025-12-20T00:00:00Z"), ([], "2026-01-01T00:00:00Z")])
        #expect(entries.map(\.kind) == [.activated, .ended])
        #expect(entries[0].at == t("2025-12-16T08:00:00Z") && entries[0].state.status == .active)
        #expect(entries[1].at == t("2025-12-23T08:00:00Z") && entries[1].state.status == .ended && entries[1].reason == .expired)
    }

    @Test func aLateWorkerStillRecordsTheActivationAsItWas() throws {
        let (entries, _) = try Self.run([(Self.week, "2026-01-01T00:00:00Z")])
        #expect(entries.map(\.kind) == [.activated, .ended])
        #expect(entries[0].state.status == .active && entries[0].state.currentPeriod?.end == t("2025-12-23T08:00:00Z"))
    }

    @Test func aCancellationBeforeTheActivationRetractsIt() throws {
        let late = [Fixture.canceled("evt_04", at: "2025-12-16T07:00:00Z", sad: "sad_eu")]
        let (entries, recorded) = try Self.run([(Self.week, "2025-12-17T00:00:00Z"), (late, "2025-12-17T01:00:00Z")])
        #expect(entries.map(\.kind) == [.activated, .ended, .updated])
        #expect(entries[1].reason == .canceled && entries[1].state.activatedAt == nil)
        #expect(entries[2].correction == 1 && entries[2].state.activatedAt == nil && entries[2].state.endReason == .canceled)
        #expect(entries[2].at == t("2025-12-16T08:00:00Z"), "stamped with the latest fact it takes into account")
        #expect(recorded.announced["sad_eu"]?.status == .ended)
    }

    @Test func anEarlierLatchMovesTheActivationAndIsCorrectedOnce() throws {
        let earlier = [Fixture.latched("evt_05", at: "2025-12-15T20:00:00Z", country: "FR")]
        let (entries, _) = try Self.run([(Self.week, "2025-12-17T00:00:00Z"), (earlier, "2025-12-17T01:00:00Z"), ([], "2025-12-18T00:00:00Z")])
        #expect(entries.map(\.kind) == [.activated, .updated])
        #expect(entries[1].state.activatedAt == t("2025-12-15T20:00:00Z"))
        #expect(entries[1].state.currentPeriod?.end == t("2025-12-22T20:00:00Z"))
    }

    @Test func aPeriodEndLearnedWhileActiveIsACorrection() throws {
        let topUp = [Fixture.created("evt_10", at: "2025-12-15T10:30:00Z", sad: "sad_top", addon: Fixture.freeTopUp.replacing("validity", with: .null))]
        let period = [Fixture.periodEnded("evt_11", at: "2025-12-16T00:00:00Z", number: 1, start: "2025-12-01T00:00:00Z", end: "2026-01-01T00:00:00Z")]
        let (entries, _) = try Self.run([(topUp, "2025-12-16T00:00:00Z"), (period, "2025-12-17T00:00:00Z")])
        #expect(entries.map(\.kind) == [.activated, .updated])
        #expect(entries[0].state.currentPeriod?.end == nil && entries[1].state.currentPeriod?.end == t("2026-01-01T00:00:00Z"))
    }

    /// Facts arrive shuffled, late and duplicated, folded in batches at increasing instants: every
    /// announced add-on's newest announcement is exactly the fold's state, each transition is
    /// recorded once, corrections are numbered 1, 2, …, and a fold with nothing new records nothing.
    @Test func theNewestAnnouncementIsAlwaysTheFoldsState() async {
        await propertyCheck(count: 400, input: RandomScenario.generator) { scenario in
            var rng = SplitMix(seed: UInt64(scenario.facts.count &* 7919 &+ scenario.nows.count))
            let arrivals = (scenario.facts + scenario.facts.filter { _ in Int.random(in: 0..<4, using: &rng) == 0 }).shuffled(using: &rng)
            let nows = scenario.nows
            var known: [Fact] = []
            var recorded = RecordedOutbox()
            var entries: [OutboxEntry] = []
            var next = 0
            for now in nows {
                let count = Int.random(in: 0...3, using: &rng)
                known += arrivals[next..<min(next + count, arrivals.count)]
                next = min(next + count, arrivals.count)
                let evaluation = Lifecycle.evaluate(facts: known, now: now, recorded: recorded)
                recorded.record(evaluation.outbox)
                entries += evaluation.outbox
            }
            known += arrivals[next...]
            let last = nows.last! + 1
            var evaluation = Lifecycle.evaluate(facts: known, now: last, recorded: recorded)
            recorded.record(evaluation.outbox)
            entries += evaluation.outbox
            evaluation = Lifecycle.evaluate(facts: known, now: last, recorded: recorded)
            #expect(evaluation.outbox.isEmpty, "a fold with nothing new records nothing")
            for (sad, view) in recorded.announced {
                let state = evaluation.state[sad]
                #expect(state.map(AddonView.init) == view, "\(sad): told \(view), fold says \(String(describing: state))\n\(scenario)")
            }
            for addon in evaluation.state.addons.values where addon.status != .pending {
                #expect(recorded.announced[addon.id] != nil, "\(addon.id) is \(addon.status) and was never announced")
            }
            for kind in [OutboxEntry.Kind.activated, .ended] {
                let keys = entries.filter { $0.kind == kind }.map(\.subscriptionAddon)
                #expect(Set(keys).count == keys.count, "a transition recorded twice")
            }
            for (sad, count) in recorded.corrections {
                #expect(entries.filter { $0.kind == .updated && $0.subscriptionAddon == sad }.map(\.correction) == Array(1...count))
            }
        }
    }
}

extension Instant {
    static func + (instant: Instant, hours: Int64) -> Instant { instant.advanced(byMicroseconds: hours * 3_600_000_000) }
}
