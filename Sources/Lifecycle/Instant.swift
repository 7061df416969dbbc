/// A point in time: microseconds since 1970-01-01T00:00:00Z.
///
/// Microseconds because PostgreSQL `timestamptz` stores exactly that; replay must reproduce the
/// database state bit for bit, so no `Double` seconds anywhere.
public struct Instant: Comparable, Hashable, Sendable {
    public var microseconds: Int64

    public init(microseconds: Int64) {
        self.microseconds = microseconds
    }

    public static let microsecondsPerSecond: Int64 = 1_000_000
    public static let microsecondsPerDay: Int64 = 86_400 * 1_000_000

    /// Smallest and largest representable instants; calendar arithmetic saturates to them.
    public static let min = Instant(microseconds: .min)
    public static let max = Instant(microseconds: .max)

    /// What RFC 3339 (4-digit years) and PostgreSQL (no year 0) can both carry:
    /// 0001-01-01T00:00:00Z ... 9999-12-31T23:59:59.999999Z. Parsed timestamps outside it are
    /// refused and calendar arithmetic clamps into it, so no instant the lifecycle produces can
    /// fail to format or to store.
    public static let rfc3339Range = Instant(microseconds: -62_135_596_800_000_000)...Instant(microseconds: 253_402_300_799_999_999)

    /// Whole seconds since the epoch. Saturates to `.min` / `.max` beyond ±292 277 years (where
    /// the microsecond count would overflow) instead of wrapping to an unrelated instant.
    public init(unixSeconds: Int64) {
        let (product, overflow) = unixSeconds.multipliedReportingOverflow(by: Self.microsecondsPerSecond)
        self.microseconds = overflow ? (unixSeconds < 0 ? Int64.min : Int64.max) : product
    }

    /// A UTC civil date-time, or nil when a component is out of range (Feb 30, hour 24, …).
    public init?(
        year: Int, month: Int, day: Int,
        hour: Int = 0, minute: Int = 0, second: Int = 0, microsecond: Int = 0
    ) {
        guard (1...12).contains(month),
              day >= 1, day <= CivilCalendar.daysInMonth(year: Int64(year), month: month),
              (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second),
              (0...999_999).contains(microsecond),
              (-1_000_000...1_000_000).contains(year)
        else { return nil }
        let days = CivilCalendar.days(year: Int64(year), month: month, day: day)
        let seconds = Int64(hour * 3600 + minute * 60 + second)
        self.microseconds = (days * 86_400 + seconds) * Self.microsecondsPerSecond + Int64(microsecond)
    }

    public static func < (lhs: Instant, rhs: Instant) -> Bool {
        lhs.microseconds < rhs.microseconds
    }

    /// Saturating, so that absurd inputs never trap.
    public func advanced(byMicroseconds delta: Int64) -> Instant {
        let (sum, overflow) = microseconds.addingReportingOverflow(delta)
        if overflow { return delta > 0 ? .max : .min }
        return Instant(microseconds: sum)
    }

    /// UTC civil components (floor division, so instants before 1970 work too).
    public var components: (year: Int64, month: Int, day: Int, hour: Int, minute: Int, second: Int, microsecond: Int) {
        let perDay = Self.microsecondsPerDay
        var days = microseconds / perDay
        var rest = microseconds % perDay
        if rest < 0 {
            rest += perDay
            days -= 1
        }
        let date = CivilCalendar.date(days: days)
        let secondsOfDay = Int(rest / Self.microsecondsPerSecond)
        return (date.year, date.month, date.day,
                secondsOfDay / 3600, secondsOfDay / 60 % 60, secondsOfDay % 60,
                Int(rest % Self.microsecondsPerSecond))
    }
}

extension Instant: CustomStringConvertible {
    public var description: String { rfc3339 }
}

/// Encoded as its RFC 3339 text: readable in stored JSON and still exact to the microsecond.
extension Instant: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let instant = Instant(rfc3339: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not an RFC 3339 timestamp: \(text)")
        }
        self = instant
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }
}
