import Testing
import Lifecycle
import EventFormat
import LifecycleFixtures

/// Cancellation, subscription end, tie-breaks, and facts arriving out of order or late.
@Suite struct EndingScenarioTests {
    let japanPaid: [JSONValue] = [
        Fixture.created("evt_01", at: "2025-12-15T10:30:00Z", sad: "sad_japan", addon: Fixture.japan5GB),
        Fixture.invoicePaid("evt_02", at: "2025-12-15T10:31:00Z", sads: ["sad_japan"]),
    ]

    @Test func cancelBeforeActivationEndsWithoutActivating() throws {
        let events = japanPaid + [
            Fixture.canceled("evt_03", at: "2025-12-17T09:00:00Z", sad: "sad_japan"),
            Fixture.usageStarted("evt_04", at: "2025-12-20T08:15:00Z", country: "JP"),
        ]
        let s = try state(events, at: "2025-12-21T00:00:00Z")
        let addon = try #require(s["sad_japan"])
        #expect(addon.status == .ended)
        #expect(addon.activatedAt == nil)
        #expect(addon.endReason == .canceled)
        #expect(addon.endedAt == t("2025-12-17T09:00:00Z"))
        #expect(addon.canceledAt == t("2025-12-17T09:00:00Z"))
        #expect(s.nextDueAt == nil)
        #expect(Lifecycle.transitions(in: s, alreadyRecorded: []) == [
            Transition(subscriptionAddon: "sad_japan", subscription: Fixture.subscription, kind: .ended,
                       at: t("2025-12-17T09:00:00Z"), reason: .canceled),
        ])
    }

    @Test func cancelAfterActivationEndsEarly() throws {
        let events = [
            Fixture.created("evt_01", at: "2025-12-15T10:30:00Z", sad: "sad_free", addon: Fixture.freeTopUp),
            Fixture.canceled("evt_02", at: "2025-12-16T10:00:00Z", sad: "sad_free"),
        ]
        let s = try state(events, at: "2025-12-16T10:00:00Z")
        #expect(s["sad_free"]?.activatedAt == t("2025-12-15T10:30:00Z"))
        #expect(s["sad_free"]?.endedAt == t("2025-12-16T10:00:00Z"))
        #expect(s["sad_free"]?.endReason == .canceled)
        #expect(s["sad_free"]?.canceledAt == t("2025-12-16T10:00:00Z"))
        #expect(try transitions(events, at: "2025-12-16T10:00:00Z").map(\.kind) == [.activated, .ended])
    }

    @Test func cancelAfterExpiryChangesNothing() throws {
        let events = [
            Fixture.created("evt_01", at: "2025-12-15T10:30:00Z", sad: "sad_free", addon: Fixture.freeTopUp),
            Fixture.canceled("evt_02", at: "2025-12-19T10:00:00Z", sad: "sad_free"),
        ]
        let s = try state(events, at: "2025-12-20T00:00:00Z")
        #expect(s["sad_free"]?.endReason == .expired)
        #expect(s["sad_free"]?.canceledAt == nil)
    }

    @Test func subscriptionEndEndsActiveAndPendingAddOns() throws {
        let events = japanPaid + [
            Fixture.created("evt_03", at: "2025-12-15T11:00:00Z", sad: "sad_free", addon: Fixture.freeTopUp),
            Fixture.subscriptionEnded("evt_04", at: "2025-12-16T00:00:00Z"),
        ]
        let s = try state(events, at: "2025-12-16T00:00:00Z")
        for sad in ["sad_japan", "sad_free"] {
            #expect(s[sad]?.status == .ended)
            #expect(s[sad]?.endReason == .subscriptionEnded)
            #expect(s[sad]?.endedAt == t("2025-12-16T00:00:00Z"))
        }
        #expect(s["sad_japan"]?.activatedAt == nil)
        #expect(s["sad_free"]?.activatedAt == t("2025-12-15T11:00:00Z"))
    }

    @Test func subscriptionEndOfAnotherSubscriptionIsIgnored() throws {
        let events = japanPaid + [Fixture.subscriptionEnded("evt_03", at: "2025-12-16T00:00:00Z", subscription: Fixture.otherSubscription)]
        #expect(try state(events, at: "2025-12-17T00:00:00Z")["sad_japan"]?.status == .pending)
    }

    @Test func endsBeforeCreationAreIgnored() throws {
        let events = [
            Fixture.canceled("evt_00", at: "2025-12-15T10:29:59Z", sad: "sad_free"),
            Fixture.subscriptionEnded("evt_01", at: "2025-12-15T10:29:59Z"),
            Fixture.created("evt_02", at: "2025-12-15T10:30:00Z", sad: "sad_free", addon: Fixture.freeTopUp),
        ]
        let s = try state(events, at: "2025-12-16T00:00:00Z")
        #expect(s["sad_free"]?.status == .active)
    }

    // MARK: Tie-breaks (free top-up created 12-15 10:30, expires 12-18 10:30)

    static let expiry = "2025-12-18T10:30:00Z"

    @Test(arguments: [
        (["cancel"], EndReason.expired),
        (["ended"], .expired),
        (["cancel", "ended"], .expired),
    ])
    func expiryWinsTies(_ others: [String], _ reason: EndReason) throws {
        try checkTie(at: Self.expiry, others: others, reason: reason)
    }

    @Test func subscriptionEndedBeatsCancelAtTheSameInstant() throws {
        try checkTie(at: "2025-12-17T00:00:00Z", others: ["cancel", "ended"], reason: .subscriptionEnded)
    }

    private func checkTie(at instant: String, others: [String], reason: EndReason) throws {
        var events = [Fixture.created("evt_01", at: "2025-12-15T10:30:00Z", sad: "sad_free", addon: Fixture.freeTopUp)]
        if others.contains("cancel") { events.append(Fixture.canceled("evt_02", at: instant, sad: "sad_free")) }
        if others.contains("ended") { events.append(Fixture.subscriptionEnded("evt_03", at: instant)) }
        let s = try state(events, at: "2025-12-20T00:00:00Z")
        #expect(s["sad_free"]?.endedAt == t(instant))
        #expect(s["sad_free"]?.endReason == reason)
        #expect(s["sad_free"]?.canceledAt == (reason == .canceled ? t(instant) : nil))
    }

    @Test func cancelAtTheActivationInstantPreventsActivation() throws {
        let events = japanPaid + [
            Fixture.usageStarted("evt_03", at: "2025-12-20T08:15:00Z", country: "JP"),
            Fixture.canceled("evt_04", at: "2025-12-20T08:15:00Z", sad: "sad_japan"),
        ]
        let s = try state(events, at: "2025-12-21T00:00:00Z")
        #expect(s["sad_japan"]?.activatedAt == nil)
        #expect(s["sad_japan"]?.endReason == .canceled)
        #expect(try transitions(events, at: "2025-12-21T00:00:00Z").map(\.kind) == [.ended])
    }

    @Test func subscriptionEndAtTheActivationInstantPreventsActivation() throws {
        let events = japanPaid + [
            Fixture.usageStarted("evt_03", at: "2025-12-20T08:15:00Z", country: "JP"),
            Fixture.subscriptionEnded("evt_04", at: "2025-12-20T08:15:00Z"),
        ]
        let s = try state(events, at: "2025-12-21T00:00:00Z")
        #expect(s["sad_japan"]?.activatedAt == nil)
        #expect(s["sad_japan"]?.endReason == .subscriptionEnded)
    }

    // MARK: Arrival order

    @Test func earliestCreationWinsAndItsSnapshotIsUsed() throws {
        let events = [
            Fixture.created("evt_b", at: "2025-12-15T10:05:00Z", sad: "sad_x", addon: Fixture.japan5GB),
            Fixture.created("evt_c", at: "2025-12-15T10:00:00Z", sad: "sad_x", addon: Fixture.europeWeekPass),
            Fixture.created("evt_a", at: "2025-12-15T10:05:00Z", sad: "sad_x", addon: Fixture.freeTopUp),
        ]
        let s = try state(events, at: "2025-12-16T00:00:00Z")
        #expect(s["sad_x"]?.createdAt == t("2025-12-15T10:00:00Z"))
        #expect(s["sad_x"]?.addon.id == "add_0SNlurA049MEWV3V0q7gjQbM4EVo")
        #expect(s["sad_x"]?.addon.raw == Fixture.europeWeekPass)

        // Equal times: the lower event id wins.
        let tie = try state(Array(events.filter { $0["id"] != "evt_c" }), at: "2025-12-16T00:00:00Z")
        #expect(tie["sad_x"]?.addon.id == "add_free_1gb")
    }

    @Test func cancelOfAnUnknownAddOnAppliesWhenTheCreationArrives() throws {
        var set = FactSet(try Fixture.facts([Fixture.canceled("evt_02", at: "2025-12-16T00:00:00Z", sad: "sad_free")]))
        #expect(set.evaluate(now: t("2025-12-17T00:00:00Z")).addons.isEmpty)
        set.insert(contentsOf: try Fixture.facts([Fixture.created("evt_01", at: "2025-12-15T10:30:00Z", sad: "sad_free", addon: Fixture.freeTopUp)]))
        let s = set.evaluate(now: t("2025-12-17T00:00:00Z"))
        #expect(s["sad_free"]?.endReason == .canceled)
    }

    @Test func lateEarlierLatchMovesActivationButIsNotRecordedTwice() throws {
        let base: [JSONValue] = [
            Fixture.created("evt_01", at: "2025-12-15T10:30:00Z", sad: "sad_europe", addon: Fixture.europeWeekPass),
            Fixture.invoicePaid("evt_02", at: "2025-12-15T10:31:00Z", sads: ["sad_europe"]),
            Fixture.latched("evt_04", at: "2025-12-19T00:00:00Z", country: "IT"),
        ]
        var set = FactSet(try Fixture.facts(base))
        let first = set.evaluate(now: t("2025-12-19T12:00:00Z"))
        let recorded = Lifecycle.transitions(from: nil, to: first)
        #expect(recorded.map(\.at) == [t("2025-12-19T00:00:00Z")])

        set.insert(contentsOf: try Fixture.facts([Fixture.latched("evt_03", at: "2025-12-18T00:00:00Z", country: "ES")]))
        let corrected = set.evaluate(now: t("2025-12-19T12:00:00Z"))
        #expect(corrected["sad_europe"]?.activatedAt == t("2025-12-18T00:00:00Z"))
        #expect(corrected["sad_europe"]?.currentPeriod?.end == t("2025-12-25T00:00:00Z"))
        #expect(Lifecycle.transitions(in: corrected, alreadyRecorded: Set(recorded.map(\.key))).isEmpty)
    }

    @Test func eventFromTheFutureAppearsAtItsTime() throws {
        let events = [Fixture.created("evt_01", at: "2025-12-15T10:30:02Z", sad: "sad_free", addon: Fixture.freeTopUp)]
        let early = try state(events, at: "2025-12-15T10:30:00Z")
        #expect(early.addons.isEmpty)
        #expect(early.nextDueAt == t("2025-12-15T10:30:02Z"))
        #expect(try state(events, at: "2025-12-15T10:30:02Z")["sad_free"]?.status == .active)
    }

    @Test func reversedArrivalGivesTheSameStateAtEveryStep() throws {
        let events: [JSONValue] = [
            Fixture.created("evt_01", at: "2025-12-15T10:30:00Z", sad: "sad_japan", addon: Fixture.japan5GB),
            Fixture.invoicePaid("evt_02", at: "2025-12-15T10:31:00Z", sads: ["sad_japan"]),
            Fixture.usageStarted("evt_03", at: "2025-12-20T08:15:00Z", country: "JP"),
            Fixture.canceled("evt_04", at: "2025-12-25T00:00:00Z", sad: "sad_japan"),
        ]
        let facts = try Fixture.facts(events)
        var set = FactSet()
        for fact in facts.reversed() { set.insert(fact) }
        for now in ["2025-12-15T10:30:00Z", "2025-12-20T08:15:00Z", "2025-12-25T00:00:00Z"] {
            #expect(set.evaluate(now: t(now)) == Lifecycle.evaluate(facts: facts, now: t(now)))
        }
        #expect(set.evaluate(now: t("2026-01-01T00:00:00Z"))["sad_japan"]?.endReason == .canceled)
    }
}
