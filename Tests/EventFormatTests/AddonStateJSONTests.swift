import Testing
import Lifecycle
import EventFormat
import LifecycleFixtures

/// The SPEC §4 subscriptionAddon object built from a folded state.
@Suite struct AddonStateJSONTests {
    @Test func activePassMatchesTheAPIShape() throws {
        let events: [JSONValue] = [
            Fixture.created("evt_01", at: "2025-12-15T10:30:00Z", sad: "sad_japan", addon: Fixture.japan5GB),
            Fixture.invoicePaid("evt_02", at: "2025-12-15T10:31:00Z", sads: ["sad_japan"]),
            Fixture.usageStarted("evt_03", at: "2025-12-20T08:15:00.5Z", country: "JP"),
        ]
        let addon = try #require(try state(events, at: "2025-12-21T00:00:00Z")["sad_japan"])
        #expect(addon.json.jsonString == """
            {"object":"subscriptionAddon","id":"sad_japan","addon":\(Fixture.japan5GB.jsonString),\
            "subscription":"\(Fixture.subscription)","status":"active","createdAt":"2025-12-15T10:30:00Z",\
            "activatedAt":"2025-12-20T08:15:00.500000Z","currentPeriod":{"number":1,\
            "start":"2025-12-20T08:15:00.500000Z","end":"2026-01-03T08:15:00.500000Z"},\
            "endedAt":null,"canceledAt":null,"endReason":null}
            """)
    }

    @Test func pendingAddOnLooksLikeTheSeedExample() throws {
        let events = [Fixture.created("evt_01", at: "2025-12-15T10:30:00Z", sad: "sad_0SNlurA049MEWV5CxLfwJc8QKsIp", addon: Fixture.europeWeekPass)]
        let json = try #require(try state(events, at: "2025-12-15T10:30:00Z")["sad_0SNlurA049MEWV5CxLfwJc8QKsIp"]).json
        #expect(json["status"] == "pending")
        #expect(json["currentPeriod"] == .null)
        #expect(json["createdAt"] == "2025-12-15T10:30:00Z")
        #expect(json["activatedAt"] == .null)
    }

    @Test func canceledAddOnShowsCancellation() throws {
        let events = [
            Fixture.created("evt_01", at: "2025-12-15T10:30:00Z", sad: "sad_free", addon: Fixture.freeTopUp),
            Fixture.canceled("evt_02", at: "2025-12-16T00:00:00Z", sad: "sad_free"),
        ]
        let json = try #require(try state(events, at: "2025-12-17T00:00:00Z")["sad_free"]).json
        #expect(json["status"] == "ended")
        #expect(json["endReason"] == "canceled")
        #expect(json["canceledAt"] == "2025-12-16T00:00:00Z")
        #expect(json["endedAt"] == "2025-12-16T00:00:00Z")
    }
}

/// The fold's state of these envelopes at `now` (the scenario suites also check the incremental fold).
private func state(_ envelopes: [JSONValue], at now: String) throws -> SubscriptionState {
    Lifecycle.evaluate(facts: try Fixture.facts(envelopes), now: t(now))
}
