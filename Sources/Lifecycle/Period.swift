/// An add-on's `currentPeriod` while active: its single validity window. `end` is the expiry
/// (validity end or covering period end), not a cancellation or subscription end; nil while not
/// known yet (validity tied to a subscription period that has not ended).
public struct Period: Sendable, Hashable, Codable {
    public var number: Int
    public var start: Instant
    public var end: Instant?

    public init(number: Int = 1, start: Instant, end: Instant?) {
        self.number = number
        self.start = start
        self.end = end
    }
}
