import Testing
import Lifecycle
import EventFormat
import LifecycleFixtures

/// Top-ups that activate on creation: free ones, and ones whose validity follows the
/// subscription period (`validity: null`).
@Suite struct TopUpScenarioTests {
    @Test func freeTopUpActivatesAtCreationWithoutInvoice() throws {
        let events = [Fixture.created("evt_01", at: "2025-12-15T10:30:00Z", sad: "sad_free", addon: Fixture.freeTopUp)]
        let s = try state(events, at: "2025-12-15T10:30:00Z")
        let addon = try #require(s["sad_free"])
        #expect(addon.status == .active)
        #expect(addon.eligibleAt == t("2025-12-15T10:30:00Z"))
        #expect(addon.activatedAt == t("2025-12-15T10:30:00Z"))
        #expect(addon.currentPeriod == Period(number: 1, start: t("2025-12-15T10:30:00Z"), end: t("2025-12-18T10:30:00Z")))
        #expect(s.nextDueAt == t("2025-12-18T10:30:00Z"))
    }

    @Test func paidCreationTopUpWaitsForTheInvoice() throws {
        let addon = Fixture.addon(trigger: "creation", validity: ["unit": "week", "value": 2], price: 500)
        let created = Fixture.created("evt_01", at: "2025-12-15T10:30:00Z", sad: "sad_paid", addon: addon)
        let pending = try state([created], at: "2025-12-20T00:00:00Z")
        #expect(pending["sad_paid"]?.status == .pending)
        #expect(pending.nextDueAt == nil)

        let paid = try state([created, Fixture.invoicePaid("evt_02", at: "2025-12-16T09:00:00Z", sads: ["sad_paid"])],
                             at: "2025-12-20T00:00:00Z")
        #expect(paid["sad_paid"]?.activatedAt == t("2025-12-16T09:00:00Z"))
        #expect(paid["sad_paid"]?.currentPeriod?.end == t("2025-12-30T09:00:00Z"))
    }

    /// The seed's "Roaming Add-On" with `validity: null`: it lasts until the period ends.
    let periodBound: [JSONValue] = [
        Fixture.periodEnded("evt_00", at: "2025-11-20T00:00:01Z", number: 1, start: "2025-10-20T00:00:00Z", end: "2025-11-20T00:00:00Z"),
        Fixture.created("evt_01", at: "2025-12-15T10:30:00Z", sad: "sad_roam", addon: Fixture.roamingTopUp),
        Fixture.invoicePaid("evt_02", at: "2025-12-15T10:31:00Z", sads: ["sad_roam"]),
    ]

    @Test func validityNullTopUpHasNoKnownEndUntilThePeriodEnds() throws {
        let s = try state(periodBound, at: "2025-12-18T00:00:00Z")
        #expect(s["sad_roam"]?.status == .active)
        #expect(s["sad_roam"]?.currentPeriod == Period(number: 1, start: t("2025-12-15T10:31:00Z"), end: nil))
        #expect(s.nextDueAt == nil)
    }

    @Test func validityNullTopUpEndsWithThePeriod() throws {
        let events = periodBound + [
            Fixture.periodEnded("evt_03", at: "2025-12-20T00:00:02Z", number: 2, start: "2025-11-20T00:00:00Z", end: "2025-12-20T00:00:00Z"),
        ]
        let before = try state(events, at: "2025-12-19T23:59:59Z")
        #expect(before["sad_roam"]?.currentPeriod?.end == t("2025-12-20T00:00:00Z"))
        #expect(before.nextDueAt == t("2025-12-20T00:00:00Z"))

        let after = try state(events, at: "2025-12-20T00:00:00Z")
        #expect(after["sad_roam"]?.status == .ended)
        #expect(after["sad_roam"]?.endedAt == t("2025-12-20T00:00:00Z"))
        #expect(after["sad_roam"]?.endReason == .periodEnded)
    }

    @Test func renewedIsTheSameFactAsPeriodEnded() throws {
        let events = periodBound + [
            Fixture.renewed("evt_03", at: "2025-12-20T00:00:03Z", number: 3, start: "2025-12-20T00:00:00Z", end: "2026-01-20T00:00:00Z"),
        ]
        let s = try state(events, at: "2025-12-21T00:00:00Z")
        #expect(s["sad_roam"]?.endedAt == t("2025-12-20T00:00:00Z"))
        #expect(s["sad_roam"]?.endReason == .periodEnded)

        let fact = try #require(try Fixture.event(events.last!).fact)
        #expect(fact.time == t("2025-12-20T00:00:00Z"))
        #expect(fact.kind == .periodEnded(number: 2, start: nil, end: t("2025-12-20T00:00:00Z")))
    }

    @Test func periodEndingExactlyAtActivationDoesNotEndIt() throws {
        let events: [JSONValue] = [
            Fixture.created("evt_01", at: "2025-12-20T00:00:00Z", sad: "sad_roam", addon: Fixture.roamingTopUp),
            Fixture.invoicePaid("evt_02", at: "2025-12-20T00:00:00Z", sads: ["sad_roam"]),
            Fixture.periodEnded("evt_03", at: "2025-12-20T00:00:00Z", number: 2, start: "2025-11-20T00:00:00Z", end: "2025-12-20T00:00:00Z"),
            Fixture.periodEnded("evt_04", at: "2026-01-20T00:00:00Z", number: 3, start: "2025-12-20T00:00:00Z", end: "2026-01-20T00:00:00Z"),
        ]
        let s = try state(events, at: "2026-02-01T00:00:00Z")
        #expect(s["sad_roam"]?.activatedAt == t("2025-12-20T00:00:00Z"))
        #expect(s["sad_roam"]?.endedAt == t("2026-01-20T00:00:00Z"))
    }

    @Test func pendingAddOnIsUntouchedByPeriodEnds() throws {
        let addon = Fixture.addon(trigger: "usageStarted", validity: nil)
        let events: [JSONValue] = [
            Fixture.created("evt_01", at: "2025-12-15T10:30:00Z", sad: "sad_u", addon: addon),
            Fixture.invoicePaid("evt_02", at: "2025-12-15T10:31:00Z", sads: ["sad_u"]),
            Fixture.periodEnded("evt_03", at: "2025-12-20T00:00:00Z", number: 2, start: "2025-11-20T00:00:00Z", end: "2025-12-20T00:00:00Z"),
            Fixture.usageStarted("evt_04", at: "2025-12-22T00:00:00Z", country: "US"),
            Fixture.periodEnded("evt_05", at: "2026-01-20T00:00:00Z", number: 3, start: "2025-12-20T00:00:00Z", end: "2026-01-20T00:00:00Z"),
        ]
        let pending = try state(events, at: "2025-12-21T00:00:00Z")
        #expect(pending["sad_u"]?.status == .pending)
        // Coverage null: usage in any country activates it.
        let active = try state(events, at: "2025-12-22T00:00:00Z")
        #expect(active["sad_u"]?.status == .active)
        #expect(active["sad_u"]?.currentPeriod?.end == t("2026-01-20T00:00:00Z"))
        let ended = try state(events, at: "2026-01-20T00:00:00Z")
        #expect(ended["sad_u"]?.endReason == .periodEnded)
    }

    @Test func monthValidityClampsToMonthEnd() throws {
        let addon = Fixture.addon(trigger: "creation", validity: ["unit": "month", "value": 1], price: 0)
        let events = [Fixture.created("evt_01", at: "2024-01-31T23:59:59Z", sad: "sad_m", addon: addon)]
        let s = try state(events, at: "2024-02-01T00:00:00Z")
        #expect(s["sad_m"]?.currentPeriod?.end == t("2024-02-29T23:59:59Z"))
        let ended = try state(events, at: "2024-02-29T23:59:59Z")
        #expect(ended["sad_m"]?.status == .ended)
    }

    @Test func yearValidityFromLeapDayEndsOnFebruary28() throws {
        let addon = Fixture.addon(trigger: "creation", validity: ["unit": "year", "value": 1], price: 0)
        let events = [Fixture.created("evt_01", at: "2024-02-29T12:00:00Z", sad: "sad_y", addon: addon)]
        let s = try state(events, at: "2024-03-01T00:00:00Z")
        #expect(s["sad_y"]?.currentPeriod?.end == t("2025-02-28T12:00:00Z"))
    }
}
