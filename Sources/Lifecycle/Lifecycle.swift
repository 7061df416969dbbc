/// The pure state machine of SPEC §3. No I/O and no clock: `now` is a parameter, so the workers,
/// the replay tool and the tests get identical answers from identical facts.
public enum Lifecycle: Sendable {
    /// The full fold, written to read like the spec: duplicates by eventID dropped (the FIRST in
    /// sequence order wins, whatever the later bodies say, like the inbox), then facts in
    /// (time, eventID) order, then each add-on's earliest qualifying facts.
    /// `FactSet.evaluate(now:)` over the same sequence is the indexed, incremental equivalent;
    /// property tests hold the two equal.
    ///
    /// Facts of several subscriptions may be mixed: a fact only affects add-ons of its own
    /// subscription (an invoice or cancellation naming a sad of another subscription is ignored),
    /// so folding one subscription's facts or a whole log gives the same add-on states.
    public static func evaluate(facts: some Sequence<Fact>, now: Instant) -> SubscriptionState {
        // Dedup before sorting: sorting first would let the earliest copy win instead of the first.
        evaluate(distinctFacts: Fact.firstOfEachEvent(facts), now: now)
    }

    /// `evaluate` for facts whose event ids are already distinct (a replay log keeps the first
    /// fact of each id as it reads them).
    package static func evaluate(distinctFacts: [Fact], now: Instant) -> SubscriptionState {
        SubscriptionState(schedules: schedules(distinctFacts: distinctFacts), now: now)
    }

    /// `evaluate(distinctFacts:now:).sortedAddons` without the dictionary in between (replay
    /// prints every subscription's add-ons and never looks one up).
    package static func sortedAddons(distinctFacts: [Fact], now: Instant) -> [AddonState] {
        schedules(distinctFacts: distinctFacts).compactMap { $0.state(at: now) }.sorted(by: SubscriptionState.addonOrder)
    }

    /// Each add-on's schedule, from its earliest qualifying facts.
    static func schedules(distinctFacts: [Fact]) -> [AddonSchedule] {
        var ordered = distinctFacts
        ordered.stableSortSmall(by: Fact.logicalOrder)

        // The earliest creation wins; its data is the snapshot. Only its owner's creations count.
        let owners = addonOwners(distinctFacts)
        var inputs = AddonInputsList()
        for fact in ordered {
            guard case .addonCreated(let sad, let addon) = fact.kind, !inputs.contains(sad: sad),
                  owners?[sad].map({ $0 == fact.subscription }) ?? true
            else { continue }
            inputs.append(AddonInputs(id: sad, subscription: fact.subscription, addon: addon, createdAt: fact.time))
        }

        // In logical order, the first qualifying fact is the earliest one.
        var periodEnds = PeriodEnds()
        for fact in ordered {
            switch fact.kind {
            case .addonCreated:
                break
            case .invoicePaid(_, let sads):
                for sad in sads {
                    inputs.update(sad: sad) { input in
                        if input.subscription == fact.subscription && input.paidAt == nil { input.paidAt = fact.time }
                    }
                }
            case .networkLatched(let country), .usageStarted(let country):
                let trigger: ActivationTrigger = if case .networkLatched = fact.kind { .networkLatch } else { .usageStarted }
                inputs.update(subscription: fact.subscription) { input in
                    guard input.addon.activationTrigger == trigger, input.triggeredAt == nil,
                          fact.time >= input.createdAt, input.addon.covers(country: country)
                    else { return }
                    input.triggeredAt = fact.time
                }
            case .periodEnded(_, _, let end):
                periodEnds.append(end, subscription: fact.subscription)
            case .addonCanceled(let sad):
                inputs.update(sad: sad) { input in
                    guard input.subscription == fact.subscription, input.canceledAt == nil, fact.time >= input.createdAt
                    else { return }
                    input.canceledAt = fact.time
                }
            case .subscriptionEnded:
                inputs.update(subscription: fact.subscription) { input in
                    guard input.subscriptionEndedAt == nil, fact.time >= input.createdAt else { return }
                    input.subscriptionEndedAt = fact.time
                }
            }
        }

        return inputs.items.map { input in
            AddonSchedule(input) { activatedAt in
                // Period facts sit at their end instant, so this list is already ascending.
                periodEnds.first(after: activatedAt, subscription: input.subscription)
            }
        }
    }

    /// An add-on belongs to the subscription whose `created` fact comes first in sequence (arrival)
    /// order: ingest refuses a `created` naming it under another subscription, and a fold of facts
    /// of several subscriptions (a whole log) ignores such a fact the same way. Nil when the facts
    /// are of one subscription, as a worker's always are: then there is nothing to decide.
    static func addonOwners(_ facts: [Fact]) -> [String: String]? {
        guard let first = facts.first?.subscription, facts.contains(where: { $0.subscription != first }) else { return nil }
        var owners: [String: String] = [:]
        for fact in facts {
            if case .addonCreated(let sad, _) = fact.kind, owners[sad] == nil { owners[sad] = fact.subscription }
        }
        return owners
    }
}
