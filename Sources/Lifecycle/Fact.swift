/// What an event contributes to the lifecycle, at its logical time. One event gives at most one
/// fact, so `eventID` identifies a fact and duplicates are detected by it: the first fact seen
/// with an id wins, later ones are dropped whatever their body (`FactSet`, `Lifecycle.evaluate`).
///
/// A fact only applies to add-ons of its own `subscription`: an invoice line or a cancellation
/// naming a sad created on another subscription is ignored, and latches, usages, period ends and
/// subscription ends only reach add-ons created on the same subscription.
public struct Fact: Sendable, Hashable, Codable {
    public var eventID: String
    /// Logical time: the event's `time`, except period facts, which use the period boundary.
    public var time: Instant
    public var subscription: String
    public var kind: Kind

    public enum Kind: Sendable, Hashable, Codable {
        // Boxed: a snapshot is large, and inline it would size every fact of a replayed log like one.
        indirect case addonCreated(subscriptionAddon: String, addon: AddonSnapshot)
        case invoicePaid(invoice: String, subscriptionAddons: [String])
        case networkLatched(country: String)
        case usageStarted(country: String)
        /// `start` is nil when derived from `subscription.renewed`, which only names the boundary.
        case periodEnded(number: Int, start: Instant?, end: Instant)
        case addonCanceled(subscriptionAddon: String)
        case subscriptionEnded
    }

    public init(eventID: String, time: Instant, subscription: String, kind: Kind) {
        self.eventID = eventID
        self.time = time
        self.subscription = subscription
        self.kind = kind
    }

    /// SPEC §3 order: logical time, then event id.
    public static func logicalOrder(_ a: Fact, _ b: Fact) -> Bool {
        a.time != b.time ? a.time < b.time : a.eventID < b.eventID
    }

    /// `facts` without the later facts of an event id already seen, in their order. A
    /// subscription has a handful of facts, compared directly; a hash set takes over past that.
    static func firstOfEachEvent(_ facts: some Sequence<Fact>) -> [Fact] {
        var kept: [Fact] = []
        var seen: Set<String>?
        for fact in facts {
            if seen == nil, kept.count >= 16 { seen = Set(kept.map(\.eventID)) }
            let isNew = seen?.insert(fact.eventID).inserted ?? !kept.contains { $0.eventID == fact.eventID }
            if isNew { kept.append(fact) }
        }
        return kept
    }

    /// Add-on ids this fact names directly (created, canceled, invoice lines).
    public var subscriptionAddons: [String] {
        switch kind {
        case .addonCreated(let sad, _), .addonCanceled(let sad): return [sad]
        case .invoicePaid(_, let sads): return sads
        default: return []
        }
    }
}
