/// A sorted set of instants with the two searches the lifecycle needs. Kept sorted on insert
/// because facts arrive in any order but queries ("first latch at or after creation") are
/// frequent.
struct SortedInstants: Sendable, Hashable {
    private(set) var values: [Instant] = []

    mutating func insert(_ instant: Instant) {
        let i = lowerBound(instant)
        if i == values.count || values[i] != instant {
            values.insert(instant, at: i)
        }
    }

    /// Earliest value `>= instant`.
    func first(atOrAfter instant: Instant) -> Instant? {
        let i = lowerBound(instant)
        return i < values.count ? values[i] : nil
    }

    /// Earliest value `> instant`.
    func first(after instant: Instant) -> Instant? {
        if instant == .max { return nil }
        return first(atOrAfter: instant.advanced(byMicroseconds: 1))
    }

    private func lowerBound(_ instant: Instant) -> Int {
        values.lowerBound(of: instant)
    }
}
