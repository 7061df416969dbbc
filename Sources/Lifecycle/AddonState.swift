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
