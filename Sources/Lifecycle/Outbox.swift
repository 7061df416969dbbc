/// What the outbox records after a fold (SPEC §3 and §6): each transition once, with the add-on as
/// of its instant, and a correction (`updated`) whenever a late fact has made what was announced
/// about an add-on wrong.
///
/// A correction is decided against the last announcement of the add-on (`AddonView`). With new
/// transitions to record, what they tell must follow from it by time alone: the status moves
/// forward and fields are only set for the first time. Without any, the receiver keeps what it was
/// told, which must equal the fold now. Anything else (an activation retracted or moved, another
/// end, a creation or snapshot replaced by an earlier one, a period end learned while active) is a
/// correction carrying the fold's state now.
public struct OutboxEntry: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable, Comparable {
        case activated, ended, updated

        /// Within one instant: activated, then ended, then updated (SPEC §6).
        public static func < (a: Kind, b: Kind) -> Bool { a.rank < b.rank }

        private var rank: Int {
            switch self {
            case .activated: 0
            case .ended: 1
            case .updated: 2
            }
        }
    }

    public var kind: Kind
    public var subscriptionAddon: String
    public var subscription: String
    /// Logical time: `activatedAt`, `endedAt`, or for a correction the latest fact it takes into account.
    public var at: Instant
    /// Set for `ended` only.
    public var reason: EndReason?
    /// 0 for transitions; the correction's number (1, 2, …) for `updated`.
    public var correction: Int
    /// The add-on as the message describes it: at the transition's instant, or now for a correction.
    public var state: AddonState {
        didSet { view = AddonView(state) }
    }
    /// What the message tells of the add-on (what the next fold compares with).
    public private(set) var view: AddonView

    public init(kind: Kind, subscriptionAddon: String, subscription: String, at: Instant, reason: EndReason?, correction: Int,
                state: AddonState) {
        self.kind = kind
        self.subscriptionAddon = subscriptionAddon
        self.subscription = subscription
        self.at = at
        self.reason = reason
        self.correction = correction
        self.state = state
        self.view = AddonView(state)
    }
}

/// What a receiver was told about an add-on: the fields of the SPEC §4 object. The add-on's raw
/// text is kept as a hash (it is compared, never shown).
public struct AddonView: Sendable, Hashable {
    public var status: AddonStatus
    public var createdAt: Instant
    public var activatedAt: Instant?
    public var endedAt: Instant?
    public var canceledAt: Instant?
    public var endReason: EndReason?
    public var periodStart: Instant?
    public var periodEnd: Instant?
    public var addonHash: Int64

    public init(status: AddonStatus, createdAt: Instant, activatedAt: Instant?, endedAt: Instant?, canceledAt: Instant?,
                endReason: EndReason?, periodStart: Instant?, periodEnd: Instant?, addonHash: Int64) {
        self.status = status
        self.createdAt = createdAt
        self.activatedAt = activatedAt
        self.endedAt = endedAt
        self.canceledAt = canceledAt
        self.endReason = endReason
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.addonHash = addonHash
    }

    public init(_ state: AddonState) {
        self.init(status: state.status, createdAt: state.createdAt, activatedAt: state.activatedAt, endedAt: state.endedAt,
                  canceledAt: state.canceledAt, endReason: state.endReason, periodStart: state.currentPeriod?.start,
                  periodEnd: state.currentPeriod?.end, addonHash: state.addon.textHash)
    }

    /// Whether `next` follows from this view by the passing of time alone: the status only moves
    /// forward, and what was already announced (creation, snapshot, activation, end, the period
    /// while active) stays as it was.
    public func isProgression(to next: AddonView) -> Bool {
        guard next.createdAt == createdAt, next.addonHash == addonHash, next.status >= status else { return false }
        if let activatedAt, next.activatedAt != activatedAt { return false }
        if let endedAt, next.endedAt != endedAt || next.endReason != endReason || next.canceledAt != canceledAt { return false }
        if status == .active, next.status == .active, next.periodStart != periodStart || next.periodEnd != periodEnd { return false }
        return true
    }

    /// FNV-1a over the UTF-8 bytes: stable across processes and versions (it is stored).
    static func hash(_ text: String) -> Int64 {
        withContiguousBytes(text.utf8) { bytes in
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            return Int64(bitPattern: hash)
        }
    }
}

/// What the outbox already holds for one subscription's add-ons.
public struct RecordedOutbox: Sendable {
    /// Transitions recorded (each at most once).
    public var transitions: Set<TransitionKey>
    /// Corrections recorded per add-on.
    public var corrections: [String: Int]
    /// The view of each add-on's newest entry.
    public var announced: [String: AddonView]

    public init(transitions: Set<TransitionKey> = [], corrections: [String: Int] = [:], announced: [String: AddonView] = [:]) {
        self.transitions = transitions
        self.corrections = corrections
        self.announced = announced
    }

    /// Records `entries` (in their order), as the store does.
    public mutating func record(_ entries: [OutboxEntry]) {
        for entry in entries {
            switch entry.kind {
            case .activated: transitions.insert(TransitionKey(subscriptionAddon: entry.subscriptionAddon, kind: .activated))
            case .ended: transitions.insert(TransitionKey(subscriptionAddon: entry.subscriptionAddon, kind: .ended))
            case .updated: corrections[entry.subscriptionAddon] = entry.correction
            }
            announced[entry.subscriptionAddon] = entry.view
        }
    }
}

/// The fold of one subscription's facts at `now`, with what the outbox must record.
public struct Evaluation: Sendable {
    public var state: SubscriptionState
    /// Ordered by (at, kind, add-on): the order messages are recorded and delivered in.
    public var outbox: [OutboxEntry]
}

extension Lifecycle {
    /// `evaluate(facts:now:)` plus the outbox entries `recorded` calls for.
    public static func evaluate(facts: some Sequence<Fact>, now: Instant, recorded: RecordedOutbox) -> Evaluation {
        let distinct = Fact.firstOfEachEvent(facts)
        let schedules = schedules(distinctFacts: distinct)
        let state = SubscriptionState(schedules: schedules, now: now)
        // A correction is stamped with the latest fact it takes into account.
        var latestFact: Instant?
        for fact in distinct where fact.time <= now && latestFact.map({ fact.time > $0 }) ?? true { latestFact = fact.time }

        var entries: [OutboxEntry] = []
        for schedule in schedules {
            guard let current = schedule.state(at: now) else { continue }
            let sad = current.id
            var fresh: [OutboxEntry] = []
            if let at = current.activatedAt, !recorded.transitions.contains(TransitionKey(subscriptionAddon: sad, kind: .activated)),
               let then = schedule.state(at: at) {
                fresh.append(OutboxEntry(kind: .activated, subscriptionAddon: sad, subscription: current.subscription, at: at,
                                         reason: nil, correction: 0, state: then))
            }
            if let at = current.endedAt, !recorded.transitions.contains(TransitionKey(subscriptionAddon: sad, kind: .ended)),
               let then = schedule.state(at: at) {
                fresh.append(OutboxEntry(kind: .ended, subscriptionAddon: sad, subscription: current.subscription, at: at,
                                         reason: current.endReason, correction: 0, state: then))
            }
            entries += fresh
            guard let announced = recorded.announced[sad] else { continue }
            // With nothing new to record, the receiver keeps what it was told: any difference is
            // wrong. With new transitions, what they tell must follow from it.
            let view = AddonView(current)
            let wrong = if let told = fresh.last?.view { !announced.isProgression(to: told) || told != view } else { announced != view }
            if wrong {
                entries.append(OutboxEntry(kind: .updated, subscriptionAddon: sad, subscription: current.subscription,
                                           at: latestFact ?? now, reason: nil, correction: (recorded.corrections[sad] ?? 0) + 1,
                                           state: current))
            }
        }
        entries.sort { a, b in
            if a.at != b.at { return a.at < b.at }
            if a.kind != b.kind { return a.kind < b.kind }
            return a.subscriptionAddon < b.subscriptionAddon
        }
        return Evaluation(state: state, outbox: entries)
    }
}
