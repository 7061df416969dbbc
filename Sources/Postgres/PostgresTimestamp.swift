/// An instant with PostgreSQL's precision: microseconds since the Unix epoch, UTC.
///
/// Not `Date`: a Double loses microseconds on round trips, and replay must reproduce stored
/// instants exactly.
public struct PostgresTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    /// PostgreSQL's binary timestamps count from 2000-01-01T00:00:00Z.
    static let postgresEpochOffset: Int64 = 946_684_800 * 1_000_000

    public var description: String { "\(microsecondsSinceEpoch)µs" }
}
