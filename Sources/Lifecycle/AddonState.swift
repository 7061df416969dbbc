/// A subscription add-on as of some `now`: what the API shows and the worker stores.
///
/// Instants are logical (derived from event times, never from a worker's clock) and exposed only
/// once they are reached: a pending add-on shows `activatedAt == nil` even when its activation is
/// already scheduled; `nextDueAt` on the subscription state carries the schedule instead.
public struct AddonState: Sendable, Hashable, Codable {
    public var id: String
    public var subscription: String
    public var addon: AddonSnapshot
    public var createdAt: Instant
    public var eligibleAt: Instant?
    public var activatedAt: Instant?
    public var endedAt: Instant?
    public var endReason: EndReason?
    /// Set only when `endReason == .canceled` (then equal to `endedAt`). A cancellation that did
    /// not end the add-on (it had already expired, or came before creation) is not shown.
    public var canceledAt: Instant?
    public var status: AddonStatus
    /// Only while active. `end` is the expiry: validity end, or the end of the covering
    /// subscription period once known; never a future cancellation or subscription end.
    public var currentPeriod: Period?

    public init(
        id: String, subscription: String, addon: AddonSnapshot, createdAt: Instant,
        eligibleAt: Instant? = nil, activatedAt: Instant? = nil, endedAt: Instant? = nil,
        endReason: EndReason? = nil, canceledAt: Instant? = nil, status: AddonStatus,
        currentPeriod: Period? = nil
    ) {
        self.id = id
        self.subscription = subscription
        self.addon = addon
        self.createdAt = createdAt
        self.eligibleAt = eligibleAt
        self.activatedAt = activatedAt
        self.endedAt = endedAt
        self.endReason = endReason
        self.canceledAt = canceledAt
        self.status = status
        self.currentPeriod = currentPeriod
    }
}

/// Status of a subscription add-on at a given `now`. Only moves pending → active → ended or
/// pending → ended.
public enum AddonStatus: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case pending, active, ended

    private var rank: Int {
        switch self {
        case .pending: return 0
        case .active: return 1
        case .ended: return 2
        }
    }

    public static func < (a: AddonStatus, b: AddonStatus) -> Bool { a.rank < b.rank }
}

/// Why an add-on ended. Declared in tie-break order: when several end causes fall on the same
/// instant, expiry/periodEnded wins, then subscriptionEnded, then canceled (SPEC §3).
public enum EndReason: String, Sendable, Hashable, Codable, CaseIterable {
    case expired, periodEnded, subscriptionEnded, canceled
}

/// An add-on's `currentPeriod` while active: its single validity window. `end` is the expiry
/// (validity end or covering period end), not a cancellation or subscription end; nil while not
/// known yet (validity tied to a subscription period that has not ended).
public struct Period: Sendable, Hashable, Codable {
    public var number: Int
    public var start: Instant
    public var end: Instant?

    public init(number: Int = 1, start: Instant, end: Instant?) {
        self.number = number
        self.start = start
        self.end = end
    }
}
