/// The logical timeline of one add-on (SPEC §3): every instant computed regardless of `now`,
/// then exposed as of `now` by `state(at:)`.
///
/// Choices where SPEC §3 leaves room:
/// - A cancellation or subscription end before `createdAt` neither ends the add-on nor vetoes its
///   activation: it concerns an earlier life of the subscription (`AddonInputs` only carries
///   those at or after creation).
/// - The veto is inclusive: canceled or ended at the activation instant means never activated.
/// - `currentPeriod.end` is the expiry (validity end or covering period end), not a pending
///   cancellation or subscription end, which are not known to be final until they happen.
struct AddonSchedule {
    let inputs: AddonInputs
    let eligibleAt: Instant?
    let activatedAt: Instant?
    /// Validity end (or end of the covering period) of an activated add-on, if known.
    let expiry: Instant?
    let endedAt: Instant?
    let endReason: EndReason?

    /// - Parameter firstPeriodEnd: end of the earliest ended period of the subscription whose
    ///   end is strictly after the given instant.
    init(_ inputs: AddonInputs, firstPeriodEnd: (Instant) -> Instant?) {
        self.inputs = inputs
        let created = inputs.createdAt

        let eligible: Instant? = inputs.addon.price.isFree ? created : inputs.paidAt.map { Swift.max(created, $0) }
        eligibleAt = eligible

        var activation: Instant?
        if let eligible {
            switch inputs.addon.activationTrigger {
            case .creation:
                activation = eligible
            case .networkLatch, .usageStarted:
                activation = inputs.triggeredAt.map { Swift.max(eligible, $0) }
            }
        }
        // Canceled or subscription ended at or before that instant: never activated.
        if let a = activation {
            if let c = inputs.canceledAt, c <= a { activation = nil }
            if let e = inputs.subscriptionEndedAt, e <= a { activation = nil }
        }
        activatedAt = activation

        var expiry: Instant?
        var expiryReason: EndReason?
        if let a = activation {
            if let validity = inputs.addon.validity {
                expiry = validity.adding(to: a)
                expiryReason = .expired
            } else if let end = firstPeriodEnd(a) {
                expiry = end
                expiryReason = .periodEnded
            }
        }
        self.expiry = expiry

        // Candidates in tie-break order (expiry, subscription end, cancellation); a later one wins
        // only when strictly earlier. Unrolled: this runs per add-on per evaluation.
        var ended = expiry
        var reason = expiryReason
        if let at = inputs.subscriptionEndedAt, ended.map({ at < $0 }) ?? true {
            ended = at
            reason = .subscriptionEnded
        }
        if let at = inputs.canceledAt, ended.map({ at < $0 }) ?? true {
            ended = at
            reason = .canceled
        }
        endedAt = ended
        endReason = reason
    }

    func state(at now: Instant) -> AddonState? {
        guard inputs.createdAt <= now else { return nil }
        let ended = endedAt.flatMap { $0 <= now ? $0 : nil }
        let activated = activatedAt.flatMap { $0 <= now ? $0 : nil }
        let status: AddonStatus = ended != nil ? .ended : activated != nil ? .active : .pending
        let reason = ended != nil ? endReason : nil
        return AddonState(
            id: inputs.id,
            subscription: inputs.subscription,
            addon: inputs.addon,
            createdAt: inputs.createdAt,
            eligibleAt: eligibleAt.flatMap { $0 <= now ? $0 : nil },
            activatedAt: activated,
            endedAt: ended,
            endReason: reason,
            canceledAt: reason == .canceled ? ended : nil,
            status: status,
            currentPeriod: status == .active ? Period(number: 1, start: activated!, end: expiry) : nil)
    }

    /// Earliest instant after `now` at which `state(at:)` changes.
    func nextChange(after now: Instant) -> Instant? {
        // Not monotone (a cancellation can precede eligibility), so a true minimum; unrolled,
        // no array per call.
        var next: Instant? = inputs.createdAt > now ? inputs.createdAt : nil
        Self.lower(&next, to: eligibleAt, after: now)
        Self.lower(&next, to: activatedAt, after: now)
        Self.lower(&next, to: endedAt, after: now)
        return next
    }

    private static func lower(_ next: inout Instant?, to candidate: Instant?, after now: Instant) {
        guard let candidate, candidate > now else { return }
        if next.map({ candidate < $0 }) ?? true { next = candidate }
    }
}
