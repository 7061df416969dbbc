/// The per-add-on facts that SPEC §3 needs, already reduced to earliest instants. Both the full
/// fold and `FactSet` produce these (in different ways) and share `AddonSchedule` from here on.
/// Only facts of the add-on's own subscription count (see `Fact`).
struct AddonInputs {
    var id: String
    var subscription: String
    var addon: AddonSnapshot
    var createdAt: Instant
    /// Earliest `invoice.paid` listing the add-on, at any time (paying before creation counts).
    var paidAt: Instant?
    /// Earliest matching latch/usage at or after creation (only for those triggers).
    var triggeredAt: Instant?
    /// Earliest cancellation at or after creation. Earlier ones are ignored entirely: they
    /// neither end the add-on nor veto its activation.
    var canceledAt: Instant?
    /// Earliest `subscription.ended` at or after creation (earlier ones ignored, as above).
    var subscriptionEndedAt: Instant?
}
