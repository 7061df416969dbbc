import EventFormat
import Lifecycle

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
    private var keyList: [Key] = []
    private var keyIndex = HashIndex()
    /// Every event id seen, in a table of their hashes (millions of ids: `Set<String>` hashes
    /// each with SipHash and was a tenth of the replay's time).
    private var seenIDs: [String] = []
    private var seenIndex: HashIndex
    /// The subscription (index in `keyList`) each add-on belongs to: that of its first `created`.
    private var owners: [(sad: String, key: Int32)] = []
    private var ownerIndex = HashIndex()
    /// `created` events naming an add-on that belongs to another subscription, in line order: not
    /// added, as ingest would have refused them (422).
    public private(set) var refused: [(eventID: String, subscriptionAddon: String, owner: String)] = []
    /// See `add(_ batch:)`.
    private var touched: UInt32 = 0
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
        seenIndex = HashIndex(minimumCapacity: expectedEvents)
        seenIDs.reserveCapacity(expectedEvents)
        facts.reserveCapacity(expectedEvents)
        factKeys.reserveCapacity(expectedEvents)
    }

    /// Events read but not yet added: the replay command adds them together (see `add(_:)`).
    public struct Batch {
        public static let capacity = 64
        /// Optional so that `add` can move each event out instead of copying it.
        fileprivate var events = [Event?](repeating: nil, count: capacity)
        /// Each event's id hash and (project, subscription) hash, taken as it is appended.
        fileprivate var hashes = [(id: UInt64, key: UInt64?)](repeating: (0, nil), count: capacity)
        public fileprivate(set) var count = 0

        public init() {}

        public var isFull: Bool { count == Self.capacity }

        public mutating func append(_ event: consuming Event) {
            precondition(!isFull, "ReplayLog.Batch holds \(Self.capacity) events")
            hashes[count] = ReplayLog.hashes(of: event)
            events[count] = event
            count += 1
        }
    }

    /// Adds the events of `batch` in order, exactly as `add` one event at a time would, and
    /// empties it. The tables of event ids and subscriptions are far larger than the CPU's caches,
    /// so each lookup is a trip to memory. One event at a time those trips follow one another (a
    /// reference count change waits for the trip before it); a batch loads all its slots in a
    /// loop that does nothing else, so the trips overlap (measured: the id lookups went from a
    /// tenth of the replay's time to noise).
    public mutating func add(_ batch: inout Batch) {
        var loaded: UInt32 = 0
        for hash in batch.hashes[..<batch.count] {
            loaded ^= seenIndex.touch(hash: hash.id)
            if let key = hash.key { loaded ^= keyIndex.touch(hash: key) }
        }
        // Kept, so the loads are not optimized away.
        touched ^= loaded
        for i in 0..<batch.count {
            add(batch.events[i].take()!, idHash: batch.hashes[i].id, keyHash: batch.hashes[i].key)
        }
        batch.count = 0
    }

    /// Adds an event; a later event with an id already seen only counts as a duplicate. Pass
    /// events decoded with one `AddonCatalog` to keep each distinct add-on snapshot once.
    public mutating func add(_ event: consuming Event) {
        let hashes = Self.hashes(of: event)
        add(event, idHash: hashes.id, keyHash: hashes.key)
    }

    /// The hash of the event's id, and of its (project, subscription) when it has one.
    private static func hashes(of event: borrowing Event) -> (id: UInt64, key: UInt64?) {
        (ByteHash.hash(event.id), event.subscription.map { keyHash(project: event.project, subscription: $0) })
    }

    /// `keyHash` is that of the event's (project, subscription), when it has a subscription.
    private mutating func add(_ event: consuming Event, idHash: UInt64, keyHash: UInt64?) {
        events += 1
        if seenIndex.find(hash: idHash, where: { seenIDs[$0] == event.id }) != nil {
            duplicates += 1
            return
        }
        seenIndex.insert(hash: idHash, position: seenIDs.count)
        seenIDs.append(event.id)
        if keepsEventTypes { eventTypes[event.id] = event.type }
        let project = event.project
        let subscription = event.subscription
        guard var fact = Fact(event: event) else { return }
        // The fact's subscription is the event's (`Event.subscription` is derived from the payload).
        let hash = if let keyHash, subscription == fact.subscription {
            keyHash
        } else {
            Self.keyHash(project: project, subscription: fact.subscription)
        }
        // An add-on belongs to the subscription of its first `created` (as ingest decides).
        var unclaimed: (sad: String, hash: UInt64)?
        if case .addonCreated(let sad, _) = fact.kind {
            let ownerHash = Self.keyHash(project: project, subscription: sad)
            if let owner = owner(of: sad, project: project, hash: ownerHash) {
                guard keyList[Int(owner)].subscription == fact.subscription else {
                    refused.append((fact.eventID, sad, keyList[Int(owner)].subscription))
                    return
                }
            } else {
                unclaimed = (sad, ownerHash)
            }
        }
        let index = keyIndex(project: project, subscription: fact.subscription, hash: hash)
        if let unclaimed {
            ownerIndex.insert(hash: unclaimed.hash, position: owners.count)
            owners.append((unclaimed.sad, index))
        }
        // One copy of each subscription id for all its facts (ids are usually too long to be
        // stored inline), which also lets the fold compare them by identity.
        fact.subscription = keyList[Int(index)].subscription
        if latestFactTime.map({ fact.time > $0 }) ?? true { latestFactTime = fact.time }
        facts.append(fact)
        factKeys.append(index)
    }

    /// The subscription (`keyList` index) `sad` of `project` belongs to, if it has been created.
    private func owner(of sad: String, project: String, hash: UInt64) -> Int32? {
        ownerIndex.find(hash: hash, where: { owners[$0].sad == sad && keyList[Int(owners[$0].key)].project == project })
            .map { owners[$0].key }
    }

    private static func keyHash(project: String, subscription: String) -> UInt64 {
        ByteHash.combine(ByteHash.hash(project), ByteHash.hash(subscription))
    }

    /// The index of (project, subscription) in `keyList`, added if new.
    private mutating func keyIndex(project: String, subscription: String, hash: UInt64) -> Int32 {
        if let known = keyIndex.find(hash: hash, where: { keyList[$0].subscription == subscription && keyList[$0].project == project }) {
            return Int32(known)
        }
        keyIndex.insert(hash: hash, position: keyList.count)
        keyList.append(Key(project: project, subscription: subscription))
        return Int32(keyList.count - 1)
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
            // `add` kept one fact per event id.
            let known: [Fact] = if let cutoff { facts.filter { $0.time <= cutoff } } else { Array(facts) }
            return (key, Lifecycle.sortedAddons(distinctFacts: known, now: now))
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
    /// the flat list's positions by key. Positions, not facts: a sorted copy of every fact would be
    /// the largest allocation of a replay, and fresh pages cost more than the sort.
    func groups(subscription: String? = nil) -> LazyMapSequence<[Int], (key: Key, facts: LazyMapSequence<ArraySlice<Int32>, Fact>)> {
        var start = [Int](repeating: 0, count: keyList.count + 1)
        for k in factKeys { start[Int(k) + 1] += 1 }
        for k in keyList.indices { start[k + 1] += start[k] }
        var slot = start
        var ordered = [Int32](repeating: 0, count: facts.count)
        for (position, k) in factKeys.enumerated() {
            ordered[slot[Int(k)]] = Int32(position)
            slot[Int(k)] += 1
        }
        let facts = facts
        return keyIndices(subscription: subscription).lazy.map { k in
            (keyList[k], ordered[start[k]..<start[k + 1]].lazy.map { facts[Int($0)] })
        }
    }
}
