extension Lifecycle {
    /// What must be appended to the outbox for `state`: an `activated` for every exposed
    /// activation and an `ended` for every exposed end not yet recorded, ordered by
    /// (at, subscriptionAddon, kind). An add-on that went pending → ended yields only `ended`.
    /// A transition already recorded is never repeated, even if a late fact moved its instant.
    public static func transitions(in state: SubscriptionState, alreadyRecorded: Set<TransitionKey>) -> [Transition] {
        var result: [Transition] = []
        for addon in state.addons.values {
            if let at = addon.activatedAt,
               !alreadyRecorded.contains(TransitionKey(subscriptionAddon: addon.id, kind: .activated)) {
                result.append(Transition(subscriptionAddon: addon.id, subscription: addon.subscription,
                                         kind: .activated, at: at, reason: nil))
            }
            if let at = addon.endedAt,
               !alreadyRecorded.contains(TransitionKey(subscriptionAddon: addon.id, kind: .ended)) {
                result.append(Transition(subscriptionAddon: addon.id, subscription: addon.subscription,
                                         kind: .ended, at: at, reason: addon.endReason))
            }
        }
        return result.sorted {
            if $0.at != $1.at { return $0.at < $1.at }
            if $0.subscriptionAddon != $1.subscriptionAddon { return $0.subscriptionAddon < $1.subscriptionAddon }
            return $0.kind < $1.kind
        }
    }

    /// Same as `transitions(in:alreadyRecorded:)`, in the spelling of the design contract.
    public static func transitions(from state: SubscriptionState, alreadyRecorded: Set<TransitionKey>) -> [Transition] {
        transitions(in: state, alreadyRecorded: alreadyRecorded)
    }

    /// Transitions between two successive states of the same subscription: those visible in
    /// `new` that `old` did not already show.
    public static func transitions(from old: SubscriptionState?, to new: SubscriptionState) -> [Transition] {
        transitions(in: new, alreadyRecorded: old?.transitionKeys ?? [])
    }
}

extension SubscriptionState {
    /// The transitions this state implies have happened (for seeding `alreadyRecorded`).
    public var transitionKeys: Set<TransitionKey> {
        var keys = Set<TransitionKey>()
        for addon in addons.values {
            if addon.activatedAt != nil { keys.insert(TransitionKey(subscriptionAddon: addon.id, kind: .activated)) }
            if addon.endedAt != nil { keys.insert(TransitionKey(subscriptionAddon: addon.id, kind: .ended)) }
        }
        return keys
    }
}
