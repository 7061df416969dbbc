import Foundation
import Testing
@testable import Lifecycle
import EventFormat
import LifecycleFixtures

@Suite struct InstantTests {
    @Test(arguments: [
        ("2025-12-15T10:31:00Z", "2025-12-15T10:31:00Z"),
        ("2025-12-15t10:31:00z", "2025-12-15T10:31:00Z"),
        ("2025-12-15T10:31:00.123456Z", "2025-12-15T10:31:00.123456Z"),
        ("2025-12-15T10:31:00.5Z", "2025-12-15T10:31:00.500000Z"),
        ("2025-12-15T10:31:00.000Z", "2025-12-15T10:31:00Z"),
        ("2025-12-15T10:31:00.1234569Z", "2025-12-15T10:31:00.123456Z"),
        ("2025-12-15T10:31:00.999999999999Z", "2025-12-15T10:31:00.999999Z"),
        ("2025-12-15T12:31:00+02:00", "2025-12-15T10:31:00Z"),
        ("2025-12-15T05:01:00-05:30", "2025-12-15T10:31:00Z"),
        ("2025-12-15T10:31:00-00:00", "2025-12-15T10:31:00Z"),
        ("2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00Z"),
        ("2024-02-29T23:59:59.000001Z", "2024-02-29T23:59:59.000001Z"),
        ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"),
        ("1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
        ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),
    ])
    func parsesAndFormats(_ input: String, _ expected: String) throws {
        let instant = try #require(Instant(rfc3339: input))
        #expect(instant.rfc3339 == expected)
        #expect(Instant(rfc3339: instant.rfc3339) == instant)
    }

    @Test func knownEpochValues() {
        #expect(Instant(rfc3339: "1970-01-01T00:00:00Z")?.microseconds == 0)
        #expect(Instant(rfc3339: "1969-12-31T23:59:59.999999Z")?.microseconds == -1)
        #expect(Instant(rfc3339: "2025-12-15T10:31:00Z")?.microseconds == 1_765_794_660_000_000)
        #expect(Instant(rfc3339: "2025-12-15T10:31:00.25Z")?.microseconds == 1_765_794_660_250_000)
    }

    @Test(arguments: [
        "", "2025-12-15", "2025-12-15T10:31:00", "2025-12-15 10:31:00Z", "2025-02-30T00:00:00Z",
        "2025-02-29T00:00:00Z", "2025-13-01T00:00:00Z", "2025-00-10T00:00:00Z", "2025-12-00T00:00:00Z",
        "2025-04-31T00:00:00Z", "2025-12-15T24:00:00Z", "2025-12-15T10:60:00Z", "2025-12-15T10:31:60Z",
        "2025-12-15T10:31:00.Z", "2025-12-15T10:31:00+2:00", "2025-12-15T10:31:00+24:00",
        "2025-12-15T10:31:00+02:60", "2025-12-15T10:31:00+0200", "2025-12-15T10:31:00ZZ",
        "25-12-15T10:31:00Z", "+2025-12-15T10:31:00Z", "2025-12-15T10:31:00 Z", "2025/12/15T10:31:00Z",
        "0000-01-01T00:00:00Z", "0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00",
        "2025-1２-15T10:31:00Z", "２025-12-15T10:31:00Z", "1765794660", "2025-12-15T10:31:00.123abcZ",
    ])
    func rejects(_ input: String) {
        #expect(Instant(rfc3339: input) == nil)
    }

    @Test func parsesFromBytes() {
        #expect(Instant(rfc3339: Array("2025-12-15T10:31:00Z".utf8)) == Instant(rfc3339: "2025-12-15T10:31:00Z"))
    }

    @Test func civilComponentsRoundTripAcrossEras() {
        for days: Int64 in [-800_000, -719_468, -1, 0, 1, 19_000, 20_000, 2_932_896] {
            let date = CivilCalendar.date(days: days)
            #expect(CivilCalendar.days(year: date.year, month: date.month, day: date.day) == days)
        }
        #expect(CivilCalendar.date(days: 0) == (1970, 1, 1))
        #expect(CivilCalendar.date(days: 19_782) == (2024, 2, 29))
    }

    @Test func invalidCivilComponentsAreRejected() {
        #expect(Instant(year: 2023, month: 2, day: 29) == nil)
        #expect(Instant(year: 2024, month: 2, day: 29) != nil)
        #expect(Instant(year: 1900, month: 2, day: 29) == nil)
        #expect(Instant(year: 2000, month: 2, day: 29) != nil)
        #expect(Instant(year: 2024, month: 1, day: 1, hour: 24) == nil)
    }

    @Test func codableUsesRFC3339Text() throws {
        let instant = t("2025-12-15T10:31:00.000007Z")
        let data = try JSONEncoder().encode([instant])
        #expect(String(decoding: data, as: UTF8.self) == "[\"2025-12-15T10:31:00.000007Z\"]")
        #expect(try JSONDecoder().decode([Instant].self, from: data) == [instant])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Instant].self, from: Data("[\"2025-02-30T00:00:00Z\"]".utf8))
        }
    }

    @Test func rfc3339RangeBounds() {
        #expect(Instant.rfc3339Range.lowerBound == Instant(year: 1, month: 1, day: 1))
        #expect(Instant.rfc3339Range.upperBound == Instant(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59, microsecond: 999_999))
    }

    @Test func unixSecondsSaturateInsteadOfWrapping() {
        #expect(Instant(unixSeconds: 1_765_794_660) == t("2025-12-15T10:31:00Z"))
        #expect(Instant(unixSeconds: -1).microseconds == -1_000_000)
        #expect(Instant(unixSeconds: 9_223_372_036_855) == .max)
        #expect(Instant(unixSeconds: .max) == .max)
        #expect(Instant(unixSeconds: -9_223_372_036_855) == .min)
        #expect(Instant(unixSeconds: .min) == .min)
    }

    @Test func advancingSaturates() {
        #expect(Instant.max.advanced(byMicroseconds: 1) == .max)
        #expect(Instant.min.advanced(byMicroseconds: -1) == .min)
    }
}
