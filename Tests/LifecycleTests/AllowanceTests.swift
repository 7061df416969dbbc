import Testing
import Lifecycle
import EventFormat
import LifecycleFixtures

/// The seeds' priority system (SPEC §7): country before regional before global, and within a
/// level the sooner expiry first.
@Suite struct AllowanceTests {
    /// The guide's table: 5GB Japan, 10GB Asia Pacific, 5GB Worldwide, all paid, used in Japan.
    static let guide: [JSONValue] = [
        Fixture.created("evt_01", at: "2025-12-15T10:00:00Z", sad: "sad_world", addon: Fixture.worldwide5GB),
        Fixture.created("evt_02", at: "2025-12-15T10:01:00Z", sad: "sad_apac", addon: Fixture.asiaPacific10GB),
        Fixture.created("evt_03", at: "2025-12-15T10:02:00Z", sad: "sad_japan", addon: Fixture.japan5GB),
        Fixture.invoicePaid("evt_04", at: "2025-12-15T10:05:00Z", sads: ["sad_world", "sad_apac", "sad_japan"]),
        Fixture.usageStarted("evt_05", at: "2025-12-16T09:00:00Z", country: "JP"),
    ]

    static func allowances(_ envelopes: [JSONValue], at now: String, country: String?) throws -> [Allowance] {
        let states = Lifecycle.sortedAddons(distinctFacts: try Fixture.facts(envelopes), now: t(now))
        return Lifecycle.allowances(states, country: country)
    }

    @Test func theGuidesExampleComesOutInTheGuidesOrder() throws {
        let order = try Self.allowances(Self.guide, at: "2025-12-17T00:00:00Z", country: "JP")
        #expect(order.map(\.addon.id) == ["sad_japan", "sad_apac", "sad_world"])
        #expect(order.map(\.scope) == [.country, .regional, .global])
        #expect(order.map(\.priority) == [1, 2, 3])
        #expect(order[0].expiresAt == t("2025-12-30T09:00:00Z"), "14 days from the first usage in Japan")
        // The JSON object of SPEC §7, with the add-on's own name, coverage and allowances.
        let json = order[0].json
        #expect(json["object"] == "allowance" && json["priority"] == 1 && json["scope"] == "country")
        #expect(json["subscriptionAddon"] == "sad_japan" && json["addon"] == ["id": "add_japan_5gb", "name": "Japan 5GB"])
        #expect(json["coverage"]?["countries"] == ["JP"] && json["allowances"]?["dataBytes"] == 5_000_000_000)
        #expect(json["expiresAt"] == "2025-12-30T09:00:00Z")
    }

    @Test func onlyActiveAddOnsCoveringTheCountryCount() throws {
        // In Germany only the worldwide pass applies; before the usage in Japan only it is active.
        #expect(try Self.allowances(Self.guide, at: "2025-12-17T00:00:00Z", country: "DE").map(\.addon.id) == ["sad_world"])
        #expect(try Self.allowances(Self.guide, at: "2025-12-16T08:00:00Z", country: "JP").map(\.addon.id) == ["sad_world"])
        // Without a country, every active one, in the same order.
        #expect(try Self.allowances(Self.guide, at: "2025-12-17T00:00:00Z", country: nil).map(\.addon.id) == ["sad_japan", "sad_apac", "sad_world"])
        // The worldwide pass expires after 7 days, the others later.
        #expect(try Self.allowances(Self.guide, at: "2025-12-23T00:00:00Z", country: "JP").map(\.addon.id) == ["sad_japan", "sad_apac"])
    }

    @Test func withinALevelTheSoonerExpiryIsConsumedFirst() throws {
        // A second Japan pass bought earlier but lasting longer, and a plan-wide top-up tied to
        // the subscription period (expiry unknown until the period ends: last of its level).
        let longJapan = Fixture.japan5GB.replacing("id", with: "add_japan_long").replacing("validity.value", with: 60)
        let envelopes = Self.guide + [
            Fixture.created("evt_06", at: "2025-12-14T10:00:00Z", sad: "sad_japan_long", addon: longJapan),
            Fixture.created("evt_07", at: "2025-12-14T10:00:00Z", sad: "sad_roaming", addon: Fixture.roamingTopUp),
            Fixture.invoicePaid("evt_08", at: "2025-12-14T10:05:00Z", invoice: "inv_2", sads: ["sad_japan_long", "sad_roaming"]),
        ]
        let order = try Self.allowances(envelopes, at: "2025-12-17T00:00:00Z", country: "JP")
        #expect(order.map(\.addon.id) == ["sad_japan", "sad_japan_long", "sad_apac", "sad_world", "sad_roaming"])
        #expect(order.last?.expiresAt == nil)
    }

    // MARK: Properties over random sets of active add-ons

    static let countries = ["JP", "KR", "DE", "FR", "US", "TH"]

    static func randomState(_ index: Int, using rng: inout SplitMix) -> AddonState {
        let coverage: Coverage? = switch Int.random(in: 0..<3, using: &rng) {
        case 0: nil
        case 1: Coverage(countries: [countries.randomElement(using: &rng)!])
        default: Coverage(countries: countries.shuffled(using: &rng).prefix(Int.random(in: 2...4, using: &rng)))
        }
        // Few distinct instants, so ties on expiry and creation are common and the id decides.
        let created = Instant(unixSeconds: 1_765_000_000 + Int64.random(in: 0..<3, using: &rng) * 3_600)
        let expiry = Bool.random(using: &rng) ? nil : Instant(unixSeconds: 1_766_000_000 + Int64.random(in: 0..<3, using: &rng) * 86_400)
        let snapshot = AddonSnapshot(id: "add_\(index)", activationTrigger: .creation, validity: nil, coverage: coverage,
                                     price: Price(amount: 0, currency: "USD"), rawText: "{}")
        return AddonState(id: "sad_\(String(index, radix: 7))", subscription: "sub", addon: snapshot, createdAt: created,
                          activatedAt: created, status: .active, currentPeriod: Period(start: created, end: expiry))
    }

    static func randomStates(seed: UInt64) -> [AddonState] {
        var rng = SplitMix(seed: seed)
        return (0..<Int.random(in: 1...9, using: &rng)).map { randomState($0, using: &rng) }
    }

    @Test(arguments: 0..<300 as Range<UInt64>)
    func theOrderIsTotalAndIgnoresInputOrder(seed: UInt64) {
        let states = Self.randomStates(seed: seed)
        for a in states {
            #expect(!Lifecycle.consumedBefore(a, a), "irreflexive")
            for b in states where b.id != a.id {
                #expect(Lifecycle.consumedBefore(a, b) != Lifecycle.consumedBefore(b, a), "total and antisymmetric")
                for c in states where Lifecycle.consumedBefore(a, b) && Lifecycle.consumedBefore(b, c) {
                    #expect(Lifecycle.consumedBefore(a, c), "transitive")
                }
            }
        }
        var rng = SplitMix(seed: seed ^ 0xABCD)
        let order = Lifecycle.allowances(states, country: nil)
        #expect(Lifecycle.allowances(states.shuffled(using: &rng), country: nil) == order, "ties broken the same whatever the input order")
        #expect(Lifecycle.allowances(states.reversed(), country: nil) == order)
        #expect(order.map(\.priority) == Array(1...states.count))
    }

    @Test(arguments: 0..<300 as Range<UInt64>)
    func addingAnAddOnNeverReordersTheOthers(seed: UInt64) {
        let states = Self.randomStates(seed: seed)
        var rng = SplitMix(seed: seed ^ 0x1234)
        let added = Self.randomState(100, using: &rng)
        for country in [nil] + Self.countries {
            let before = Lifecycle.allowances(states, country: country).map(\.addon.id)
            let after = Lifecycle.allowances(states + [added], country: country).map(\.addon.id).filter { $0 != added.id }
            #expect(after == before)
        }
    }

    @Test(arguments: 0..<300 as Range<UInt64>)
    func aNarrowerScopeAlwaysComesFirst(seed: UInt64) {
        let states = Self.randomStates(seed: seed)
        for country in [nil] + Self.countries {
            let order = Lifecycle.allowances(states, country: country)
            #expect(order.map(\.scope) == order.map(\.scope).sorted(), "country, then regional, then global")
            for (earlier, later) in zip(order, order.dropFirst()) where earlier.scope == later.scope {
                switch (earlier.expiresAt, later.expiresAt) {
                case let (x?, y?): #expect(x <= y, "the sooner expiry first")
                case (nil, _?): Issue.record("an unknown expiry must come after a known one")
                default: break
                }
            }
            if let country {
                #expect(order.allSatisfy { $0.addon.addon.covers(country: country) })
            }
        }
    }
}
