import Testing
import Lifecycle
import EventFormat
import LifecycleFixtures

/// Folds the scenario both ways (full fold and incremental `FactSet`) and insists they agree,
/// so every scenario test also checks the incremental path.
func state(_ envelopes: [JSONValue], at now: String) throws -> SubscriptionState {
    let facts = try Fixture.facts(envelopes)
    let full = Lifecycle.evaluate(facts: facts, now: t(now))
    let incremental = FactSet(facts.reversed()).evaluate(now: t(now))
    #expect(full == incremental, "incremental fold differs from the full fold at \(now)")
    return full
}

/// The transitions a worker would have recorded by `now` starting from nothing.
func transitions(_ envelopes: [JSONValue], at now: String) throws -> [Transition] {
    Lifecycle.transitions(in: try state(envelopes, at: now), alreadyRecorded: [])
}
