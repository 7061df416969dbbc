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

    /// Every fact in arrival (line) order, with the index of its key in `keyList`; duplicates by
    /// event id keep the first. One flat list rather than a list per subscription: a log has
    /// hundreds of thousands of subscriptions with a handful of facts each.
    private var facts: [Fact] = []
    private var factKeys: [Int32] = []
    private var keyIndex: [Key: Int32] = [:]
    private var keyList: [Key] = []
    /// One copy of each distinct add-on snapshot: an add-on of the catalog arrives with the same
    /// `data.addon` for every subscription it is attached to.
    private var snapshots = Set<AddonSnapshot>()
    private var seen = Set<String>()
    /// Lines that decoded to an event, duplicates and ignored types included.
    public private(set) var events = 0
    public private(set) var duplicates = 0
    /// The latest logical time of any fact: the default `--as-of`.
    public private(set) var latestFactTime: Instant?
    /// Event types by id, kept only for traces (which name each event's type).
    public private(set) var eventTypes: [String: String] = [:]
    private let keepsEventTypes: Bool

    /// `expectedEvents` sizes the storage up front (0: grow as needed), so a large log is not
    /// copied and rehashed as it grows. Pages reserved and never used cost nothing.
    public init(keepsEventTypes: Bool = false, expectedEvents: Int = 0) {
        self.keepsEventTypes = keepsEventTypes
        seen.reserveCapacity(expectedEvents)
        facts.reserveCapacity(expectedEvents)
        factKeys.reserveCapacity(expectedEvents)
    }

    public mutating func add(_ event: Event) {
        events += 1
        guard seen.insert(event.id).inserted else {
            duplicates += 1
            return
        }
        guard var fact = Fact(event: event) else { return }
        if case .addonCreated(let sad, let addon) = fact.kind {
            fact.kind = .addonCreated(subscriptionAddon: sad, addon: snapshots.insert(addon).memberAfterInsert)
        }
        if keepsEventTypes { eventTypes[event.id] = event.type }
        let key = Key(project: event.project, subscription: fact.subscription)
        let index: Int32
        if let known = keyIndex[key] {
            index = known
        } else {
            index = Int32(keyList.count)
            keyIndex[key] = index
            keyList.append(key)
        }
        facts.append(fact)
        factKeys.append(index)
        if latestFactTime.map({ fact.time > $0 }) ?? true { latestFactTime = fact.time }
    }

    /// Every add-on's state at `now`, by subscription in key order and add-on id within it.
    /// `knownBy` keeps only facts whose logical time is at or before it (what was known then);
    /// nil folds every fact, as the workers do. Evaluated as the sequence is read, so a whole
    /// log's states are never all in memory at once.
    public func states(
        now: Instant, knownBy: Instant? = nil, subscription: String? = nil
    ) -> some Sequence<(key: Key, addons: [AddonState])> {
        // As of the log's end (the default) every fact is known: no filtering.
        let cutoff = knownBy.flatMap { cutoff in cutoff >= (latestFactTime ?? cutoff) ? nil : cutoff }
        return groups(subscription: subscription).lazy.map { key, facts in
            let state = if let cutoff {
                Lifecycle.evaluate(facts: facts.filter { $0.time <= cutoff }, now: now)
            } else {
                Lifecycle.evaluate(facts: facts, now: now)
            }
            return (key, state.sortedAddons)
        }
    }

    /// The subscriptions in the log, sorted, optionally only one subscription id.
    public func keys(subscription: String? = nil) -> [Key] {
        keyIndices(subscription: subscription).map { keyList[$0] }
    }

    /// Indices into `keyList` in key order, optionally only one subscription id.
    private func keyIndices(subscription: String?) -> [Int] {
        keyList.indices
            .filter { subscription == nil || keyList[$0].subscription == subscription }
            .sorted { keyList[$0] < keyList[$1] }
    }

    /// Each subscription's facts in arrival order, subscriptions in key order: a counting sort of
    /// the flat list by key.
    func groups(subscription: String? = nil) -> [(key: Key, facts: ArraySlice<Fact>)] {
        var start = [Int](repeating: 0, count: keyList.count + 1)
        for k in factKeys { start[Int(k) + 1] += 1 }
        for k in keyList.indices { start[k + 1] += start[k] }
        // The slots of the keys partition 0..<count, so every element is initialized once.
        let ordered = [Fact](unsafeUninitializedCapacity: facts.count) { buffer, count in
            var slot = start
            for (fact, k) in zip(facts, factKeys) {
                (buffer.baseAddress! + slot[Int(k)]).initialize(to: fact)
                slot[Int(k)] += 1
            }
            count = facts.count
        }
        return keyIndices(subscription: subscription).map { (keyList[$0], ordered[start[$0]..<start[$0 + 1]]) }
    }
}
