/// The period boundaries of a fold by subscription, ascending when appended in logical order. A
/// fold is nearly always one subscription's facts: its ends are kept in a plain list, and only
/// further subscriptions (a whole log folded at once) go to a dictionary.
struct PeriodEnds {
    private var first: (subscription: String, ends: [Instant])?
    private var others: [String: [Instant]] = [:]

    mutating func append(_ end: Instant, subscription: String) {
        if first == nil { first = (subscription, []) }
        if first!.subscription == subscription {
            first!.ends.append(end)
        } else {
            others[subscription, default: []].append(end)
        }
    }

    /// The first boundary of `subscription` after `instant`.
    func first(after instant: Instant, subscription: String) -> Instant? {
        let ends = first?.subscription == subscription ? first?.ends : others[subscription]
        return ends?.first { $0 > instant }
    }
}
