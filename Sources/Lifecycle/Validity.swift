/// How long an add-on lasts once activated: `value × unit` in UTC calendar arithmetic.
public struct Validity: Sendable, Hashable, Codable {
    public var unit: ValidityUnit
    public var value: Int

    /// Accepted range for `value` at decode time: positive, and small enough that the arithmetic
    /// stays far from `Int64` limits while allowing any real product (a 100-year pass is 36 500 days).
    public static let valueRange: ClosedRange<Int> = 1...100_000

    public init(unit: ValidityUnit, value: Int) {
        self.unit = unit
        self.value = value
    }

    /// `instant + value × unit`, time of day preserved. `month` keeps the day of month, clamped
    /// to the target month's last day (Jan 31 + 1 month = Feb 28/29); `year` likewise, so
    /// Feb 29 + 1 year = Feb 28. Results are clamped to the end of year 9999 (a 100 000-year pass
    /// is as good as eternal, and every expiry stays storable and printable); never traps.
    public func adding(to instant: Instant) -> Instant {
        Swift.min(unclampedAdding(to: instant), Instant.rfc3339Range.upperBound)
    }

    private func unclampedAdding(to instant: Instant) -> Instant {
        switch unit {
        case .day: return instant.advancedSaturating(days: Int64(value))
        case .week: return instant.advancedSaturating(days: Int64(value).multipliedClamped(by: 7))
        case .month: return instant.addingMonths(Int64(value))
        case .year: return instant.addingMonths(Int64(value).multipliedClamped(by: 12))
        }
    }
}

/// Free-function spelling used by callers that think "adding validity to an instant".
public func adding(_ validity: Validity, to instant: Instant) -> Instant {
    validity.adding(to: instant)
}

extension Int64 {
    fileprivate func multipliedClamped(by factor: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: factor)
        if overflow { return (self < 0) != (factor < 0) ? .min : .max }
        return product
    }
}

extension Instant {
    fileprivate func advancedSaturating(days: Int64) -> Instant {
        advanced(byMicroseconds: days.multipliedClamped(by: Instant.microsecondsPerDay))
    }

    fileprivate func addingMonths(_ months: Int64) -> Instant {
        // Beyond ±1e6 years the result saturates anyway; bail out before the civil math could overflow.
        guard months.magnitude < 12_000_000 else { return months > 0 ? .max : .min }
        let perDay = Instant.microsecondsPerDay
        var days = microseconds / perDay
        var timeOfDay = microseconds % perDay
        if timeOfDay < 0 {
            timeOfDay += perDay
            days -= 1
        }
        let date = CivilCalendar.date(days: days)
        let monthIndex = date.year * 12 + Int64(date.month - 1) + months
        let year = monthIndex >= 0 ? monthIndex / 12 : (monthIndex - 11) / 12
        let month = Int(monthIndex - year * 12) + 1
        let day = Swift.min(date.day, CivilCalendar.daysInMonth(year: year, month: month))
        let newDays = CivilCalendar.days(year: year, month: month, day: day)
        let (scaled, o1) = newDays.multipliedReportingOverflow(by: perDay)
        let (total, o2) = scaled.addingReportingOverflow(timeOfDay)
        if o1 || o2 { return months > 0 ? .max : .min }
        return Instant(microseconds: total)
    }
}

/// The calendar unit of an add-on's validity (`addon.validity.unit`).
public enum ValidityUnit: String, Sendable, Hashable, Codable, CaseIterable {
    case day, week, month, year
}
