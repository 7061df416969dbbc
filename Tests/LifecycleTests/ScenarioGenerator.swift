import PropertyBased
import Lifecycle
import EventFormat
import LifecycleFixtures

/// Random but realistic fact sets for property tests: a few add-ons on two subscriptions with
/// every trigger, validity and coverage shape, facts on a coarse 6-hour grid so equal times
/// (and thus event-id tie-breaks) are common, plus the instants at which to look.
struct RandomScenario: Sendable, CustomStringConvertible {
    var facts: [Fact]
    /// Ascending, including every fact time and random instants around them.
    var nows: [Instant]

    var description: String {
        facts.map { "\($0.eventID)@\($0.time) \($0.subscription) \($0.kind)" }.joined(separator: "\n")
    }

    static let base = Instant(year: 2025, month: 1, day: 1)!
    static let hour: Int64 = 3_600_000_000
    static let subscriptions = ["sub_A", "sub_B"]
    static let countries = ["JP", "KR", "DE", "FR", "US"]

    static let generator = Generator<RandomScenario, Shrink.None<RandomScenario>> { rng in
        RandomScenario.make(using: &rng)
    }

    /// Twelve scenarios side by side (ids made distinct): 12 to 48 add-ons in one fold, so the
    /// fold's lists go past their linear size.
    static let wideGenerator = Generator<RandomScenario, Shrink.None<RandomScenario>> { rng in
        var facts: [Fact] = []
        var nows = Set<Instant>()
        for k in 0..<12 {
            let part = RandomScenario.make(using: &rng)
            facts += part.facts.map { $0.renamed(suffix: "_\(k)") }
            nows.formUnion(part.nows)
        }
        return RandomScenario(facts: facts.shuffled(using: &rng), nows: nows.sorted())
    }

    static func make(using rng: inout some RandomNumberGenerator) -> RandomScenario {
        func time() -> Instant {
            base.advanced(byMicroseconds: Int64.random(in: 0...240, using: &rng) * 6 * hour)
        }
        func pick<T>(_ values: [T]) -> T { values.randomElement(using: &rng)! }

        let sadCount = Int.random(in: 1...4, using: &rng)
        let sads = (0..<sadCount).map { "sad_\($0)" }
        let home = Dictionary(uniqueKeysWithValues: sads.map { ($0, Bool.random(using: &rng) ? "sub_A" : pick(subscriptions)) })
        var kinds: [(String, Fact.Kind)] = []

        for sad in sads {
            for _ in 0..<Int.random(in: 1...2, using: &rng) {
                let trigger = pick(ActivationTrigger.allCases)
                let validity: Validity? = Int.random(in: 0..<4, using: &rng) == 0
                    ? nil
                    : Validity(unit: pick(ValidityUnit.allCases), value: Int.random(in: 1...3, using: &rng))
                let coverage: Coverage? = Bool.random(using: &rng)
                    ? nil
                    : Coverage(id: "cp_x", countries: countries.filter { _ in Bool.random(using: &rng) })
                let price = Price(amount: pick([0, 999]), currency: "USD")
                let addon = AddonSnapshot(id: "add_\(trigger)", activationTrigger: trigger, validity: validity,
                                          coverage: coverage, price: price, raw: ["id": .string("add_\(trigger)")])
                kinds.append((home[sad]!, .addonCreated(subscriptionAddon: sad, addon: addon)))
            }
        }
        for _ in 0..<Int.random(in: 0...22, using: &rng) {
            let sad = pick(sads)
            let subscription = Int.random(in: 0..<8, using: &rng) == 0 ? pick(subscriptions) : home[sad]!
            switch Int.random(in: 0..<20, using: &rng) {
            case 0..<5:
                kinds.append((subscription, .invoicePaid(invoice: "inv", subscriptionAddons: sads.filter { $0 == sad || Int.random(in: 0..<4, using: &rng) == 0 })))
            case 5..<9:
                kinds.append((subscription, .networkLatched(country: pick(countries))))
            case 9..<13:
                kinds.append((subscription, .usageStarted(country: pick(countries))))
            case 13..<16:
                kinds.append((subscription, .periodEnded(number: 1, start: nil, end: base)))
            case 16..<19:
                kinds.append((subscription, .addonCanceled(subscriptionAddon: sad)))
            default:
                kinds.append((subscription, .subscriptionEnded))
            }
        }

        let ids = Array(0..<kinds.count).shuffled(using: &rng)
        let facts = kinds.enumerated().map { offset, entry -> Fact in
            let at = time()
            var kind = entry.1
            if case .periodEnded(let number, _, _) = kind { kind = .periodEnded(number: number, start: nil, end: at) }
            return Fact(eventID: "evt_\(ids[offset] < 10 ? "0" : "")\(ids[offset])", time: at, subscription: entry.0, kind: kind)
        }

        var nows = Set(facts.map(\.time))
        for _ in 0..<12 {
            nows.insert(base.advanced(byMicroseconds: Int64.random(in: -24...(24 * 800), using: &rng) * hour))
        }
        return RandomScenario(facts: facts.shuffled(using: &rng), nows: nows.sorted())
    }
}

extension Fact {
    /// The same fact with `suffix` added to its event id and every sad it names.
    func renamed(suffix: String) -> Fact {
        let kind: Kind = switch self.kind {
        case .addonCreated(let sad, let addon): .addonCreated(subscriptionAddon: sad + suffix, addon: addon)
        case .invoicePaid(let invoice, let sads): .invoicePaid(invoice: invoice, subscriptionAddons: sads.map { $0 + suffix })
        case .addonCanceled(let sad): .addonCanceled(subscriptionAddon: sad + suffix)
        default: self.kind
        }
        return Fact(eventID: eventID + suffix, time: time, subscription: subscription, kind: kind)
    }
}
