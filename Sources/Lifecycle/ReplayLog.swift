/// An event log being replayed: the facts of every (project, subscription), folded by the same
/// core as the workers. Pure: the clock is a parameter of every question.
public struct ReplayLog: Sendable {
    public struct Key: Hashable, Comparable, Sendable {
        public var project: String
        public var subscription: String

        public init(project: String, subscription: String) {
            self.project = project
            self.subscription = subscription
        }

        public static func < (a: Key, b: Key) -> Bool {
            (a.project, a.subscription) < (b.project, b.subscription)
        }
    }

    /// Facts in arrival (line) order per subscription; duplicates by event id keep the first.
    public private(set) var facts: [Key: [Fact]] = [:]
    private var seen = Set<String>()
    /// Lines that decoded to an event, duplicates and ignored types included.
    public private(set) var events = 0
    public private(set) var duplicates = 0
    /// The latest logical time of any fact: the default `--as-of`.
    public private(set) var latestFactTime: Instant?
    /// Event types by id, kept only for traces (which name each event's type).
    public private(set) var eventTypes: [String: String] = [:]
    private let keepsEventTypes: Bool

    public init(keepsEventTypes: Bool = false) {
        self.keepsEventTypes = keepsEventTypes
    }

    public mutating func add(_ event: Event) {
        events += 1
        guard seen.insert(event.id).inserted else {
            duplicates += 1
            return
        }
        guard let fact = Fact(event: event) else { return }
        if keepsEventTypes { eventTypes[event.id] = event.type }
        facts[Key(project: event.project, subscription: fact.subscription), default: []].append(fact)
        if latestFactTime.map({ fact.time > $0 }) ?? true { latestFactTime = fact.time }
    }

    /// Every add-on's state at `now`, by subscription in key order and add-on id within it.
    /// `knownBy` keeps only facts whose logical time is at or before it (what was known then);
    /// nil folds every fact, as the workers do.
    public func states(now: Instant, knownBy: Instant? = nil, subscription: String? = nil) -> [(key: Key, addons: [AddonState])] {
        keys(subscription: subscription).map { key in
            let facts = self.facts[key] ?? []
            let known = knownBy.map { cutoff in facts.filter { $0.time <= cutoff } } ?? facts
            return (key, Lifecycle.evaluate(facts: known, now: now).sortedAddons)
        }
    }

    /// The subscriptions in the log, sorted, optionally only one subscription id.
    public func keys(subscription: String? = nil) -> [Key] {
        facts.keys.filter { subscription == nil || $0.subscription == subscription }.sorted()
    }
}
