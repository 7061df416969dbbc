import EventFormat
import Lifecycle

/// One step of a replay trace: a fact applied, or timers falling due between facts.
public struct TraceEntry: Sendable {
    public enum Cause: Sendable, Equatable {
        case event(id: String, type: String)
        /// A scheduled activation or expiry reached its instant; no new fact.
        case timer
    }

    /// The fact's logical time, or the timer's instant.
    public var time: Instant
    public var key: ReplayLog.Key
    public var cause: Cause
    /// Per add-on, the fields of its SPEC §4 object that changed (a new add-on: from nothing).
    public var changes: [(addon: String, fields: [JSONDifference])]
    /// Transitions this step recorded, as the workers would.
    public var transitions: [Transition]
}

extension ReplayLog {
    /// Every subscription's facts in logical order, each with what it changed and the transitions
    /// it caused, and the timers that fell due in between as entries of their own; up to `asOf`.
    /// Entries of all subscriptions are merged by time.
    public func trace(asOf: Instant, subscription: String? = nil) -> [TraceEntry] {
        var entries: [(entry: TraceEntry, order: Int)] = []
        for (key, facts) in groups(subscription: subscription) {
            var tracer = Tracer(key: key)
            let facts = facts.filter { $0.time <= asOf }.sorted(by: Fact.logicalOrder)
            for fact in facts {
                tracer.fireTimers(before: fact.time)
                tracer.apply(fact, type: eventTypes[fact.eventID] ?? "?")
            }
            tracer.fireTimers(through: asOf)
            entries += tracer.entries.map { ($0, entries.count) }
        }
        return entries.sorted { a, b in
            if a.entry.time != b.entry.time { return a.entry.time < b.entry.time }
            if a.entry.key != b.entry.key { return a.entry.key < b.entry.key }
            return a.order < b.order
        }.map(\.entry)
    }
}

/// Replays one subscription step by step, remembering what was shown and recorded so far.
private struct Tracer {
    let key: ReplayLog.Key
    var facts = FactSet()
    var recorded = Set<TransitionKey>()
    var shown: [String: JSONValue] = [:]
    var entries: [TraceEntry] = []

    init(key: ReplayLog.Key) { self.key = key }

    mutating func apply(_ fact: Fact, type: String) {
        _ = facts.insert(fact)
        step(at: fact.time, cause: .event(id: fact.eventID, type: type))
    }

    /// Timers due strictly before `time` (a timer at a fact's own instant is shown with the fact).
    mutating func fireTimers(before time: Instant) {
        fireTimers { $0 < time }
    }

    mutating func fireTimers(through time: Instant) {
        fireTimers { $0 <= time }
    }

    /// With the facts fixed, the transitions still to come are known: step through their instants.
    private mutating func fireTimers(where isDue: (Instant) -> Bool) {
        let future = facts.evaluate(now: Instant.rfc3339Range.upperBound)
        let instants = Set(Lifecycle.transitions(in: future, alreadyRecorded: recorded).map(\.at)).sorted()
        for instant in instants where isDue(instant) {
            step(at: instant, cause: .timer)
        }
    }

    private mutating func step(at time: Instant, cause: TraceEntry.Cause) {
        let state = facts.evaluate(now: time)
        var changes: [(addon: String, fields: [JSONDifference])] = []
        for addon in state.sortedAddons {
            let object = addon.json
            let fields = shown[addon.id].map { $0.changes(to: object) } ?? [JSONDifference(path: "", old: nil, new: object)]
            if !fields.isEmpty { changes.append((addon.id, fields)) }
            shown[addon.id] = object
        }
        let transitions = Lifecycle.transitions(in: state, alreadyRecorded: recorded).filter { $0.at <= time }
        recorded.formUnion(transitions.map(\.key))
        if case .timer = cause, changes.isEmpty, transitions.isEmpty { return }
        entries.append(TraceEntry(time: time, key: key, cause: cause, changes: changes, transitions: transitions))
    }
}
