import Testing
import Lifecycle
import EventFormat
import LifecycleFixtures

/// The seed tutorials: travel passes bought before the trip that start on first usage or on
/// network latch, with coverage profiles and day validities.
@Suite struct TravelPassScenarioTests {
    /// Japan 5GB and Asia Pacific 10GB (both `usageStarted`) bought together on one invoice.
    let japanAndAsia: [JSONValue] = [
        Fixture.created("evt_01", at: "2025-12-15T10:30:00Z", sad: "sad_japan", addon: Fixture.japan5GB),
        Fixture.created("evt_02", at: "2025-12-15T10:30:30Z", sad: "sad_apac", addon: Fixture.asiaPacific10GB),
        Fixture.invoicePaid("evt_03", at: "2025-12-15T10:31:00Z", sads: ["sad_japan", "sad_apac"]),
        Fixture.usageStarted("evt_04", at: "2025-12-16T09:00:00Z", country: "DE"),
        Fixture.usageStarted("evt_05", at: "2025-12-20T08:15:00Z", country: "JP"),
    ]

    @Test func passesStayPendingUntilUsageInCoverage() throws {
        let s = try state(japanAndAsia, at: "2025-12-18T00:00:00Z")
        for sad in ["sad_japan", "sad_apac"] {
            let addon = try #require(s[sad])
            #expect(addon.status == .pending)
            #expect(addon.activatedAt == nil)
            #expect(addon.currentPeriod == nil)
        }
        #expect(s["sad_japan"]?.eligibleAt == t("2025-12-15T10:31:00Z"))
        #expect(s["sad_japan"]?.createdAt == t("2025-12-15T10:30:00Z"))
        // Usage in Germany (12-16) is outside both coverages; the timer points at the JP usage.
        #expect(s.nextDueAt == t("2025-12-20T08:15:00Z"))
    }

    @Test func usageInJapanActivatesBothPasses() throws {
        let s = try state(japanAndAsia, at: "2025-12-20T08:15:00Z")
        let japan = try #require(s["sad_japan"])
        let apac = try #require(s["sad_apac"])
        #expect(japan.status == .active)
        #expect(apac.status == .active)
        #expect(japan.activatedAt == t("2025-12-20T08:15:00Z"))
        #expect(apac.activatedAt == t("2025-12-20T08:15:00Z"))
        #expect(japan.currentPeriod == Period(number: 1, start: t("2025-12-20T08:15:00Z"), end: t("2026-01-03T08:15:00Z")))
        #expect(apac.currentPeriod == Period(number: 1, start: t("2025-12-20T08:15:00Z"), end: t("2026-01-19T08:15:00Z")))
        #expect(s.nextDueAt == t("2026-01-03T08:15:00Z"))
    }

    @Test func japanExpiresAfter14DaysAndAsiaAfter30() throws {
        let mid = try state(japanAndAsia, at: "2026-01-03T08:15:00Z")
        #expect(mid["sad_japan"]?.status == .ended)
        #expect(mid["sad_japan"]?.endReason == .expired)
        #expect(mid["sad_japan"]?.endedAt == t("2026-01-03T08:15:00Z"))
        #expect(mid["sad_japan"]?.currentPeriod == nil)
        #expect(mid["sad_apac"]?.status == .active)
        #expect(mid.nextDueAt == t("2026-01-19T08:15:00Z"))

        let late = try state(japanAndAsia, at: "2026-02-01T00:00:00Z")
        #expect(late["sad_apac"]?.endedAt == t("2026-01-19T08:15:00Z"))
        #expect(late["sad_apac"]?.endReason == .expired)
        #expect(late.nextDueAt == nil)
    }

    @Test func transitionsAreRecordedAtLogicalTimes() throws {
        let recorded = try transitions(japanAndAsia, at: "2026-02-01T00:00:00Z")
        #expect(recorded == [
            Transition(subscriptionAddon: "sad_apac", subscription: Fixture.subscription, kind: .activated, at: t("2025-12-20T08:15:00Z"), reason: nil),
            Transition(subscriptionAddon: "sad_japan", subscription: Fixture.subscription, kind: .activated, at: t("2025-12-20T08:15:00Z"), reason: nil),
            Transition(subscriptionAddon: "sad_japan", subscription: Fixture.subscription, kind: .ended, at: t("2026-01-03T08:15:00Z"), reason: .expired),
            Transition(subscriptionAddon: "sad_apac", subscription: Fixture.subscription, kind: .ended, at: t("2026-01-19T08:15:00Z"), reason: .expired),
        ])
    }

    @Test func usageInKoreaActivatesOnlyTheRegionalPass() throws {
        let events = Array(japanAndAsia.dropLast()) + [Fixture.usageStarted("evt_05", at: "2025-12-20T08:15:00Z", country: "KR")]
        let s = try state(events, at: "2025-12-21T00:00:00Z")
        #expect(s["sad_apac"]?.status == .active)
        #expect(s["sad_japan"]?.status == .pending)
    }

    @Test func unpaidPassNeverActivates() throws {
        let events = japanAndAsia.enumerated().filter { $0.offset != 2 }.map(\.element)
        let s = try state(events, at: "2026-06-01T00:00:00Z")
        #expect(s["sad_japan"]?.status == .pending)
        #expect(s["sad_japan"]?.eligibleAt == nil)
        #expect(s.nextDueAt == nil)
    }

    @Test func networkLatchDoesNotActivateUsageStartedPasses() throws {
        let events = Array(japanAndAsia.prefix(3)) + [Fixture.latched("evt_09", at: "2025-12-20T08:00:00Z", country: "JP")]
        let s = try state(events, at: "2025-12-21T00:00:00Z")
        #expect(s["sad_japan"]?.status == .pending)
    }

    /// 1GB Europe Week Pass: `networkLatch` with the cp_europe_zone_1 coverage profile.
    let europe: [JSONValue] = [
        Fixture.latched("evt_10", at: "2025-12-14T12:00:00Z", country: "FR"),
        Fixture.created("evt_11", at: "2025-12-15T10:30:00Z", sad: "sad_europe", addon: Fixture.europeWeekPass),
        Fixture.invoicePaid("evt_12", at: "2025-12-15T10:31:00Z", sads: ["sad_europe"]),
        Fixture.latched("evt_13", at: "2025-12-16T07:00:00Z", country: "US"),
        Fixture.latched("evt_14", at: "2025-12-19T06:45:00Z", country: "DE"),
        Fixture.latched("evt_15", at: "2025-12-20T06:45:00Z", country: "FR"),
    ]

    @Test func europeWeekPassIgnoresLatchBeforeCreationAndOutsideCoverage() throws {
        let s = try state(europe, at: "2025-12-18T00:00:00Z")
        #expect(s["sad_europe"]?.status == .pending)
        #expect(s.nextDueAt == t("2025-12-19T06:45:00Z"))
    }

    @Test func europeWeekPassActivatesOnLatchInGermanyForSevenDays() throws {
        let active = try state(europe, at: "2025-12-19T06:45:00Z")
        #expect(active["sad_europe"]?.activatedAt == t("2025-12-19T06:45:00Z"))
        #expect(active["sad_europe"]?.currentPeriod?.end == t("2025-12-26T06:45:00Z"))

        let justBefore = try state(europe, at: "2025-12-26T06:44:59.999999Z")
        #expect(justBefore["sad_europe"]?.status == .active)

        let ended = try state(europe, at: "2025-12-26T06:45:00Z")
        #expect(ended["sad_europe"]?.status == .ended)
        #expect(ended["sad_europe"]?.endReason == .expired)
        #expect(ended["sad_europe"]?.activatedAt == t("2025-12-19T06:45:00Z"))
    }

    @Test func latchBeforePaymentActivatesAtPaymentTime() throws {
        let events: [JSONValue] = [
            Fixture.created("evt_20", at: "2025-12-15T10:30:00Z", sad: "sad_europe", addon: Fixture.europeWeekPass),
            Fixture.latched("evt_21", at: "2025-12-15T11:00:00Z", country: "DE"),
            Fixture.invoicePaid("evt_22", at: "2025-12-15T12:00:00Z", sads: ["sad_europe"]),
        ]
        let s = try state(events, at: "2025-12-16T00:00:00Z")
        #expect(s["sad_europe"]?.activatedAt == t("2025-12-15T12:00:00Z"))
        #expect(s["sad_europe"]?.currentPeriod?.end == t("2025-12-22T12:00:00Z"))
    }

    @Test func invoicePaidBeforeCreationMakesItEligibleAtCreation() throws {
        let events: [JSONValue] = [
            Fixture.invoicePaid("evt_30", at: "2025-12-15T10:29:00Z", sads: ["sad_europe"]),
            Fixture.created("evt_31", at: "2025-12-15T10:30:00Z", sad: "sad_europe", addon: Fixture.europeWeekPass),
            Fixture.latched("evt_32", at: "2025-12-15T10:30:00Z", country: "NL"),
        ]
        let s = try state(events, at: "2025-12-15T10:30:00Z")
        #expect(s["sad_europe"]?.eligibleAt == t("2025-12-15T10:30:00Z"))
        #expect(s["sad_europe"]?.activatedAt == t("2025-12-15T10:30:00Z"))
    }

    @Test func invoiceOfAnotherSubscriptionDoesNotPay() throws {
        let events: [JSONValue] = [
            Fixture.created("evt_40", at: "2025-12-15T10:30:00Z", sad: "sad_europe", addon: Fixture.europeWeekPass),
            Fixture.invoicePaid("evt_41", at: "2025-12-15T10:31:00Z", sads: ["sad_europe"], subscription: Fixture.otherSubscription),
            Fixture.latched("evt_42", at: "2025-12-16T10:00:00Z", country: "DE"),
        ]
        let s = try state(events, at: "2025-12-17T00:00:00Z")
        #expect(s["sad_europe"]?.eligibleAt == nil)
        #expect(s["sad_europe"]?.status == .pending)
    }

    @Test func latchOnAnotherSubscriptionDoesNotActivate() throws {
        let events: [JSONValue] = [
            Fixture.created("evt_50", at: "2025-12-15T10:30:00Z", sad: "sad_europe", addon: Fixture.europeWeekPass),
            Fixture.invoicePaid("evt_51", at: "2025-12-15T10:31:00Z", sads: ["sad_europe"]),
            Fixture.latched("evt_52", at: "2025-12-16T10:00:00Z", country: "DE", subscription: Fixture.otherSubscription),
        ]
        let s = try state(events, at: "2025-12-17T00:00:00Z")
        #expect(s["sad_europe"]?.status == .pending)
    }
}
