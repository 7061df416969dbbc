/// The facts of one subscription (or several), de-duplicated by event id and indexed so that
/// adding a fact and re-evaluating are cheap.
///
/// Duplicates: the FIRST fact inserted with an event id wins and later ones are dropped whatever
/// their body, as the inbox does ("same id seen before → nothing changes"). Facts are kept in
/// insertion order, so `a.union(b)` is deterministic: a's facts, then b's new ones in b's order.
/// Apart from that choice the indexes keep only minima or sorted lists, so the state does not
/// depend on the order of distinct facts.
///
/// Stored form (`Codable`): the list of facts in insertion order; indexes are rebuilt on decode.
public struct FactSet: Sendable {
    /// Insertion order; `position` maps an event id to its index here.
    private var ordered: [Fact] = []
    private var position: [String: Int] = [:]

    private var created: [String: Fact] = [:]
    /// The subscription each add-on belongs to: that of its first `created` fact inserted
    /// (`Lifecycle.addonOwners`).
    private var owners: [String: String] = [:]
    private var paid: [SadKey: Instant] = [:]
    private var canceled: [SadKey: SortedInstants] = [:]
    private var ended: [String: SortedInstants] = [:]
    private var periodEnds: [String: SortedInstants] = [:]
    /// Latches and usages per subscription and kind, by time: an add-on scans these few signals
    /// from its creation on and takes the first its coverage covers.
    private var signals: [SignalKey: [Signal]] = [:]

    private struct SadKey: Hashable, Sendable {
        var subscription: String
        var sad: String
    }

    private struct SignalKey: Hashable, Sendable {
        var subscription: String
        var trigger: ActivationTrigger
    }

    private struct Signal: Sendable {
        var time: Instant
        var country: String
    }

    public init() {}

    /// Inserts `facts` in sequence order (so the first of each event id wins).
    public init(_ facts: some Sequence<Fact>) {
        insert(contentsOf: facts)
    }

    public var count: Int { ordered.count }

    public var isEmpty: Bool { ordered.isEmpty }

    public func contains(eventID: String) -> Bool { position[eventID] != nil }

    /// The fact kept for `eventID` (the first one inserted).
    public func fact(eventID: String) -> Fact? { position[eventID].map { ordered[$0] } }

    /// All facts in insertion order.
    public var facts: [Fact] { ordered }

    /// All facts in logical (time, eventID) order.
    public var sortedFacts: [Fact] { ordered.sorted(by: Fact.logicalOrder) }

    /// Adds a fact; false (and no change) when its event id is already known, whatever its body.
    @discardableResult
    public mutating func insert(_ fact: Fact) -> Bool {
        guard position[fact.eventID] == nil else { return false }
        position[fact.eventID] = ordered.count
        ordered.append(fact)
        index(fact)
        return true
    }

    public mutating func insert(contentsOf facts: some Sequence<Fact>) {
        for fact in facts { insert(fact) }
    }

    /// Adds `other`'s facts in its insertion order; on a shared event id, this set's fact stays.
    public mutating func formUnion(_ other: FactSet) {
        insert(contentsOf: other.ordered)
    }

    public func union(_ other: FactSet) -> FactSet {
        var copy = self
        copy.formUnion(other)
        return copy
    }

    private mutating func index(_ fact: Fact) {
        let subscription = fact.subscription
        switch fact.kind {
        case .addonCreated(let sad, _):
            if let owner = owners[sad], owner != subscription { return }
            owners[sad] = subscription
            if let current = created[sad], !Fact.logicalOrder(fact, current) { return }
            created[sad] = fact
        case .invoicePaid(_, let sads):
            for sad in sads {
                let key = SadKey(subscription: subscription, sad: sad)
                if paid[key].map({ fact.time < $0 }) ?? true { paid[key] = fact.time }
            }
        case .networkLatched(let country):
            insertSignal(Signal(time: fact.time, country: country), SignalKey(subscription: subscription, trigger: .networkLatch))
        case .usageStarted(let country):
            insertSignal(Signal(time: fact.time, country: country), SignalKey(subscription: subscription, trigger: .usageStarted))
        case .periodEnded(_, _, let end):
            periodEnds[subscription, default: .init()].insert(end)
        case .addonCanceled(let sad):
            canceled[SadKey(subscription: subscription, sad: sad), default: .init()].insert(fact.time)
        case .subscriptionEnded:
            ended[subscription, default: .init()].insert(fact.time)
        }
    }

    private mutating func insertSignal(_ signal: Signal, _ key: SignalKey) {
        // After equal times: the list only needs to be ordered by time.
        let i = signals[key].map { Self.firstIndex(in: $0, after: signal.time) } ?? 0
        signals[key, default: []].insert(signal, at: i)
    }

    /// First index whose time is `> time`.
    private static func firstIndex(in list: [Signal], after time: Instant) -> Int {
        var low = 0
        var high = list.count
        while low < high {
            let mid = (low + high) / 2
            if list[mid].time <= time { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// First index whose time is `>= time`.
    private static func firstIndex(in list: [Signal], atOrAfter time: Instant) -> Int {
        var low = 0
        var high = list.count
        while low < high {
            let mid = (low + high) / 2
            if list[mid].time < time { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Same result as `Lifecycle.evaluate(facts: facts, now:)`.
    public func evaluate(now: Instant) -> SubscriptionState {
        var schedules: [AddonSchedule] = []
        schedules.reserveCapacity(created.count)
        for (sad, fact) in created {
            guard case .addonCreated(_, let addon) = fact.kind else { continue }
            let subscription = fact.subscription
            let createdAt = fact.time
            let key = SadKey(subscription: subscription, sad: sad)
            var input = AddonInputs(id: sad, subscription: subscription, addon: addon, createdAt: createdAt)
            input.paidAt = paid[key]
            input.canceledAt = canceled[key]?.first(atOrAfter: createdAt)
            input.subscriptionEndedAt = ended[subscription]?.first(atOrAfter: createdAt)
            let trigger = addon.activationTrigger
            if trigger != .creation, let list = signals[SignalKey(subscription: subscription, trigger: trigger)] {
                var i = Self.firstIndex(in: list, atOrAfter: createdAt)
                while i < list.count {
                    if addon.covers(country: list[i].country) {
                        input.triggeredAt = list[i].time
                        break
                    }
                    i += 1
                }
            }
            let ends = periodEnds[subscription]
            schedules.append(AddonSchedule(input) { ends?.first(after: $0) })
        }
        return SubscriptionState(schedules: schedules, now: now)
    }
}

extension FactSet: Equatable {
    /// Equal when they keep the same fact for every event id, whatever the insertion order.
    public static func == (a: FactSet, b: FactSet) -> Bool {
        a.count == b.count && a.ordered.allSatisfy { b.fact(eventID: $0.eventID) == $0 }
    }
}

extension FactSet: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(try [Fact](from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try ordered.encode(to: encoder)
    }
}
