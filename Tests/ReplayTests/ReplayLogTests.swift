import Lifecycle
import EventFormat
import Replay
import LifecycleFixtures
import Testing

/// `ReplayLog` keeps the first event of each id and folds each subscription's facts; adding in
/// batches (as the replay command does) must give exactly what adding one event at a time gives.
@Suite struct ReplayLogTests {
    static func events() throws -> [Event] {
        let other = "sub_other"
        return try [
            Fixture.created("evt_1", at: "2025-12-15T10:30:00Z", sad: "sad_1", addon: Fixture.europeWeekPass),
            Fixture.created("evt_2", at: "2025-12-15T10:30:00Z", sad: "sad_2", addon: Fixture.roamingTopUp, subscription: other),
            Fixture.invoicePaid("evt_3", at: "2025-12-15T10:31:00Z", sads: ["sad_1"]),
            // Same id, other body: dropped whatever it says.
            Fixture.canceled("evt_3", at: "2025-12-15T10:32:00Z", sad: "sad_1"),
            Fixture.latched("evt_4", at: "2025-12-16T08:00:00Z", country: "DE"),
            Fixture.invoicePaid("evt_5", at: "2025-12-15T10:31:00Z", sads: ["sad_2"], subscription: other),
            Fixture.latched("evt_4", at: "2025-12-17T08:00:00Z", country: "FR"),
            Fixture.subscriptionEnded("evt_6", at: "2025-12-20T00:00:00Z", subscription: other),
            Fixture.created("evt_1", at: "2025-12-15T10:30:00Z", sad: "sad_1", addon: Fixture.europeWeekPass),
        ].map(Fixture.event)
    }

    struct Summary: Equatable {
        var events: Int
        var duplicates: Int
        var latest: Instant?
        var states: [String]
    }

    static func summary(_ log: ReplayLog) -> Summary {
        let now = Instant(rfc3339: "2025-12-18T00:00:00Z")!
        let states = log.states(now: now).map { key, addons in
            "\(key.subscription): " + addons.map { "\($0.id) \($0.status.rawValue) \($0.activatedAt.map(\.rfc3339) ?? "-")" }.joined(separator: ", ")
        }
        return Summary(events: log.events, duplicates: log.duplicates, latest: log.latestFactTime, states: Array(states))
    }

    @Test func batchesGiveWhatOneAtATimeGives() throws {
        let events = try Self.events()
        var single = ReplayLog()
        for event in events { single.add(event) }
        let expected = Self.summary(single)
        #expect(expected.events == 9 && expected.duplicates == 3)
        #expect(expected.states == [
            "\(Fixture.subscription): sad_1 active 2025-12-16T08:00:00Z",
            "sub_other: sad_2 active 2025-12-15T10:31:00Z",
        ])
        for size in [1, 2, 4, events.count] {
            var batched = ReplayLog(expectedEvents: 4)
            for start in stride(from: 0, to: events.count, by: size) {
                var batch = ReplayLog.Batch()
                for event in events[start..<min(start + size, events.count)] { batch.append(event) }
                batched.add(&batch)
                #expect(batch.count == 0)
            }
            #expect(Self.summary(batched) == expected, "batches of \(size)")
        }
    }
}

/// An add-on belongs to the subscription of its first `created` line, as ingest decides; a later
/// `created` naming it under another subscription is refused (not folded), even one logically earlier.
@Suite struct ReplayOwnershipTests {
    @Test func aLaterLineCannotMoveAnAddonToAnotherSubscription() throws {
        var log = ReplayLog()
        let lines = try [
            Fixture.created("evt_a", at: "2025-12-15T10:30:00Z", sad: "sad_x", addon: Fixture.freeTopUp),
            Fixture.created("evt_b", at: "2025-12-14T00:00:00Z", sad: "sad_x", addon: Fixture.roamingTopUp, subscription: "sub_b"),
            Fixture.created("evt_a2", at: "2025-12-16T00:00:00Z", sad: "sad_x", addon: Fixture.freeTopUp),
        ].map(Fixture.event)
        for event in lines { log.add(event) }
        #expect(log.refused.map(\.eventID) == ["evt_b"])
        #expect(log.refused.first?.owner == Fixture.subscription)
        let states = log.states(now: Instant(rfc3339: "2025-12-20T00:00:00Z")!).map { ($0.key.subscription, $0.addons.map(\.id)) }
        #expect(states.map(\.0) == [Fixture.subscription])
        #expect(states.first?.1 == ["sad_x"])
    }
}
