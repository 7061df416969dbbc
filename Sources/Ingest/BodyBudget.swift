import Synchronization

/// The bytes that request bodies read but not yet verified may hold, across the process. Every
/// body is unsigned until its signature is checked, and each may be 256 KiB: without a bound, slow
/// unsigned clients could pin memory without limit (`HTTPLimits.unsignedBodyBudget`).
public final class BodyBudget: Sendable {
    private let available: Atomic<Int>

    public init(bytes: Int) {
        available = Atomic(bytes)
    }

    /// Takes `bytes` from the budget; false (and nothing taken) when there is not enough left.
    func reserve(_ bytes: Int) -> Bool {
        var current = available.load(ordering: .relaxed)
        while current >= bytes {
            let (exchanged, original) = available.compareExchange(expected: current, desired: current - bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func release(_ bytes: Int) {
        available.add(bytes, ordering: .relaxed)
    }
}
