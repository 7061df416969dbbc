import Testing
import Lifecycle
import EventFormat
import LifecycleFixtures

/// Fields SPEC §2 does not require, or does not constrain, are accepted as sent.
@Suite struct RelaxedFieldTests {
    @Test func coverageNeedsOnlyCountries() throws {
        let body = Rejection.created
            .replacing("data.addon.coverage.id", with: nil)
            .replacing("data.addon.coverage.name", with: nil)
        guard case .addonCreated(let created) = try Fixture.event(body).payload else { Issue.record("wrong payload"); return }
        #expect(created.addon.coverage == Coverage(countries: ["DE", "FR", "IT", "ES", "PL", "NL"]))
        #expect(created.addon.coverage?.id == nil)
    }

    @Test(arguments: ["usd", "USDC", "points", "€"])
    func anyNonEmptyCurrency(_ currency: String) throws {
        let body = Rejection.created.replacing("data.addon.price.currency", with: .string(currency))
        guard case .addonCreated(let created) = try Fixture.event(body).payload else { Issue.record("wrong payload"); return }
        #expect(created.addon.price.currency == currency)
    }

    @Test func periodsEndingBeforeTheyStartAreTakenAsSent() throws {
        let ended = try Fixture.event(Fixture.periodEnded("evt_5", at: "2025-12-20T00:00:00Z", number: 2,
                                                          start: "2025-12-20T00:00:00Z", end: "2025-11-20T00:00:00Z"))
        #expect(ended.fact?.time == t("2025-11-20T00:00:00Z"))
        let renewed = try Fixture.event(Fixture.renewed("evt_6", at: "2025-12-20T00:00:00Z", number: 3,
                                                        start: "2025-12-20T00:00:00Z", end: "2025-12-19T00:00:00Z"))
        #expect(renewed.fact?.kind == .periodEnded(number: 2, start: nil, end: t("2025-12-20T00:00:00Z")))
    }

    @Test func renewalIntoTheFirstPeriodEndsPeriodZero() throws {
        let renewed = try Fixture.event(Fixture.renewed("evt_6", at: "2025-12-20T00:05:00Z", number: 1,
                                                        start: "2025-12-20T00:00:00Z", end: "2026-01-20T00:00:00Z"))
        #expect(renewed.fact == Fact(eventID: "evt_6", time: t("2025-12-20T00:00:00Z"), subscription: Fixture.subscription,
                                     kind: .periodEnded(number: 0, start: nil, end: t("2025-12-20T00:00:00Z"))))
    }

    @Test func kosovoIsACountry() throws {
        let latch = try Fixture.event(Fixture.latched("evt_3", at: "2025-12-16T07:00:00Z", country: "XK"))
        #expect(latch.fact?.kind == .networkLatched(country: "XK"))
        let body = Rejection.created.replacing("data.addon.coverage.countries[5]", with: "XK")
        guard case .addonCreated(let created) = try Fixture.event(body).payload else { Issue.record("wrong payload"); return }
        #expect(created.addon.covers(country: "XK"))
    }
}
