/// The fold's result: every add-on known from the facts, as of `now`, and when to look again.
public struct SubscriptionState: Sendable, Hashable, Codable {
    /// Keyed by subscription add-on id. Add-ons created after `now` are not listed yet.
    public var addons: [String: AddonState]
    /// The earliest instant after `now` at which any add-on's state changes (an add-on appears,
    /// becomes eligible, activates or ends); nil when nothing is scheduled. The worker's timer.
    public var nextDueAt: Instant?

    public init(addons: [String: AddonState] = [:], nextDueAt: Instant? = nil) {
        self.addons = addons
        self.nextDueAt = nextDueAt
    }

    public subscript(subscriptionAddon: String) -> AddonState? {
        addons[subscriptionAddon]
    }

    /// Add-ons ordered by (createdAt, id): stable output for the API, replay and diffs.
    public var sortedAddons: [AddonState] {
        addons.values.sorted(by: Self.addonOrder)
    }

    static func addonOrder(_ a: AddonState, _ b: AddonState) -> Bool {
        a.createdAt != b.createdAt ? a.createdAt < b.createdAt : a.id < b.id
    }

    init(schedules: [AddonSchedule], now: Instant) {
        var addons: [String: AddonState] = [:]
        addons.reserveCapacity(schedules.count)
        var next: Instant?
        for schedule in schedules {
            if let state = schedule.state(at: now) {
                addons[state.id] = state
            }
            if let due = schedule.nextChange(after: now), next.map({ due < $0 }) ?? true {
                next = due
            }
        }
        self.addons = addons
        self.nextDueAt = next
    }
}
