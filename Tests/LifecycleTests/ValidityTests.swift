import Testing
import Lifecycle
import EventFormat
import LifecycleFixtures

@Suite struct ValidityTests {
    @Test(arguments: [
        ("2024-01-31T10:00:00Z", ValidityUnit.month, 1, "2024-02-29T10:00:00Z"),
        ("2025-01-31T10:00:00Z", .month, 1, "2025-02-28T10:00:00Z"),
        ("2025-01-30T10:00:00Z", .month, 1, "2025-02-28T10:00:00Z"),
        ("2025-03-31T23:59:59.5Z", .month, 1, "2025-04-30T23:59:59.500000Z"),
        ("2025-01-31T00:00:00Z", .month, 2, "2025-03-31T00:00:00Z"),
        ("2025-12-15T08:00:00Z", .month, 1, "2026-01-15T08:00:00Z"),
        ("2025-11-30T08:00:00Z", .month, 3, "2026-02-28T08:00:00Z"),
        ("2025-12-31T08:00:00Z", .month, 14, "2027-02-28T08:00:00Z"),
        ("2024-02-29T12:00:00Z", .year, 1, "2025-02-28T12:00:00Z"),
        ("2024-02-29T12:00:00Z", .year, 4, "2028-02-29T12:00:00Z"),
        ("2096-02-29T12:00:00Z", .year, 4, "2100-02-28T12:00:00Z"),
        ("2025-06-15T12:00:00Z", .year, 1, "2026-06-15T12:00:00Z"),
        ("2025-12-31T22:00:00Z", .day, 1, "2026-01-01T22:00:00Z"),
        ("2025-12-20T08:15:00Z", .day, 14, "2026-01-03T08:15:00Z"),
        ("2024-02-28T08:00:00Z", .day, 1, "2024-02-29T08:00:00Z"),
        ("2025-12-29T08:00:00Z", .week, 1, "2026-01-05T08:00:00Z"),
        ("2025-02-22T00:00:00Z", .week, 1, "2025-03-01T00:00:00Z"),
        ("1969-12-31T12:00:00Z", .month, 1, "1970-01-31T12:00:00Z"),
    ])
    func calendarArithmetic(_ start: String, _ unit: ValidityUnit, _ value: Int, _ expected: String) {
        #expect(Validity(unit: unit, value: value).adding(to: t(start)).rfc3339 == expected)
        #expect(adding(Validity(unit: unit, value: value), to: t(start)) == t(expected))
    }

    @Test func expiriesAreClampedToTheEndOfYear9999() {
        let last = Instant.rfc3339Range.upperBound
        for unit in ValidityUnit.allCases {
            #expect(Validity(unit: unit, value: Validity.valueRange.upperBound).adding(to: t("9900-01-01T00:00:00Z")) == last)
            #expect(Validity(unit: unit, value: 1).adding(to: t("9999-12-31T00:00:00Z")) == last)
            #expect(Validity(unit: unit, value: .max).adding(to: t("2025-01-01T00:00:00Z")) == last)
            #expect(Instant(rfc3339: Validity(unit: unit, value: .max).adding(to: t("2025-01-01T00:00:00Z")).rfc3339) == last)
        }
        #expect(Validity(unit: .year, value: 7974).adding(to: t("2025-06-15T12:00:00Z")) == t("9999-06-15T12:00:00Z"))
    }
}
