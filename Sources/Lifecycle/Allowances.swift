/// The seeds' priority system (add-ons guide, "Priority System"; SPEC §7): when several add-ons
/// are active, usage consumes the most specific one first, and within a level the one that expires
/// sooner.
public enum AllowanceScope: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Coverage of exactly one country ("5GB Japan").
    case country
    /// Coverage of several countries ("10GB Asia Pacific").
    case regional
    /// No coverage of its own: the plan's ("5GB Worldwide", a plan-wide top-up).
    case global

    /// The scope of an add-on's coverage. An empty country list is a profile of its own, so it
    /// counts as regional rather than as the plan's coverage.
    public init(_ coverage: Coverage?) {
        guard let coverage else {
            self = .global
            return
        }
        self = coverage.countries.count == 1 ? .country : .regional
    }

    private var rank: Int {
        switch self {
        case .country: 0
        case .regional: 1
        case .global: 2
        }
    }

    public static func < (a: AllowanceScope, b: AllowanceScope) -> Bool { a.rank < b.rank }
}

/// One active add-on in consumption order: `priority` 1 is consumed first.
public struct Allowance: Sendable, Hashable {
    public var priority: Int
    public var scope: AllowanceScope
    public var addon: AddonState

    /// When it stops being consumable on its own: the end of its current period (nil while
    /// unknown, e.g. tied to a subscription period that has not ended).
    public var expiresAt: Instant? { addon.currentPeriod?.end }
}

extension Lifecycle {
    /// The add-ons of `states` that are active and cover `country` (every active one when it is
    /// nil), in the order usage consumes them. `states` must be evaluated at the instant asked
    /// about, so `active` means active then.
    public static func allowances(_ states: some Sequence<AddonState>, country: String?) -> [Allowance] {
        states
            .filter { $0.status == .active && (country.map($0.addon.covers(country:)) ?? true) }
            .sorted(by: consumedBefore)
            .enumerated()
            .map { Allowance(priority: $0.offset + 1, scope: AllowanceScope($0.element.addon.coverage), addon: $0.element) }
    }

    /// The consumption order, a strict total order on add-ons of one subscription: the narrower
    /// scope first; within a scope the earlier expiry (an unknown one last); then the earlier
    /// `createdAt`; then the id (unique within a subscription), so no input order can show through.
    public static func consumedBefore(_ a: AddonState, _ b: AddonState) -> Bool {
        let (scopeA, scopeB) = (AllowanceScope(a.addon.coverage), AllowanceScope(b.addon.coverage))
        if scopeA != scopeB { return scopeA < scopeB }
        switch (a.currentPeriod?.end, b.currentPeriod?.end) {
        case let (x?, y?) where x != y: return x < y
        case (_?, nil): return true
        case (nil, _?): return false
        default: break
        }
        if a.createdAt != b.createdAt { return a.createdAt < b.createdAt }
        return a.id < b.id
    }
}
