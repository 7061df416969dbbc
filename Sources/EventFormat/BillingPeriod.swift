import Lifecycle
/// A subscription period as the provider reports it (`period` / `currentPeriod`).
public struct BillingPeriod: Sendable, Hashable, Codable {
    public var number: Int
    public var start: Instant
    public var end: Instant

    public init(number: Int, start: Instant, end: Instant) {
        self.number = number
        self.start = start
        self.end = end
    }
}
