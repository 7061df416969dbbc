/// The per-add-on facts that SPEC §3 needs, already reduced to earliest instants. Both the full
/// fold and `FactSet` produce these (in different ways) and share `AddonSchedule` from here on.
/// Only facts of the add-on's own subscription count (see `Fact`).
struct AddonInputs {
    var id: String
    var subscription: String
    var addon: AddonSnapshot
    var createdAt: Instant
    /// Earliest `invoice.paid` listing the add-on, at any time (paying before creation counts).
    var paidAt: Instant?
    /// Earliest matching latch/usage at or after creation (only for those triggers).
    var triggeredAt: Instant?
    /// Earliest cancellation at or after creation. Earlier ones are ignored entirely: they
    /// neither end the add-on nor veto its activation.
    var canceledAt: Instant?
    /// Earliest `subscription.ended` at or after creation (earlier ones ignored, as above).
    var subscriptionEndedAt: Instant?
}

/// The add-ons of one fold in creation order, found by sad or by subscription. A subscription
/// has a handful of add-ons, found by comparing ids (no hashing, no dictionary per fold); past
/// 16, dictionaries take over, so a whole log folded at once or a subscription with thousands of
/// add-ons stays linear.
struct AddonInputsList {
    private(set) var items: [AddonInputs] = []
    private var bySad: [String: Int]?
    private var bySubscription: [String: [Int]]?

    private static let linearLimit = 16

    func contains(sad: String) -> Bool { position(of: sad) != nil }

    mutating func append(_ input: AddonInputs) {
        items.append(input)
        if bySad == nil, items.count > Self.linearLimit {
            bySad = [:]
            bySubscription = [:]
            for i in items.indices { index(i) }
        } else if bySad != nil {
            index(items.count - 1)
        }
    }

    /// Changes the add-on `sad` in place, if there is one.
    mutating func update(sad: String, _ body: (inout AddonInputs) -> Void) {
        if let i = position(of: sad) { body(&items[i]) }
    }

    /// Changes every add-on of `subscription` in place, in creation order.
    mutating func update(subscription: String, _ body: (inout AddonInputs) -> Void) {
        if let positions = bySubscription?[subscription] {
            for i in positions { body(&items[i]) }
        } else if bySubscription == nil {
            for i in items.indices where items[i].subscription == subscription { body(&items[i]) }
        }
    }

    private func position(of sad: String) -> Int? {
        if let bySad { return bySad[sad] }
        return items.firstIndex { $0.id == sad }
    }

    private mutating func index(_ i: Int) {
        bySad![items[i].id] = i
        bySubscription![items[i].subscription, default: []].append(i)
    }
}
