extension Instant {
    /// Parses RFC 3339 `date-time`: `2025-12-15T10:31:00Z`, `…00.123456Z`, `…00+02:00`,
    /// lowercase `t`/`z` too. Fractions beyond 6 digits are truncated (floor) to microseconds,
    /// matching what PostgreSQL can store. Strict otherwise: 4-digit year, no space separator,
    /// no leap second (`:60`), offset at most ±23:59; `-00:00` is read as UTC; the result must lie
    /// in `Instant.rfc3339Range` (so `0000-…` and offsets crossing year 1 or 9999 are refused).
    public init?(rfc3339 text: String) {
        var text = text
        let parsed = text.withUTF8 { Instant.parseRFC3339($0) }
        guard let parsed else { return nil }
        self = parsed
    }

    @inlinable
    public init?(rfc3339 bytes: some Collection<UInt8>) {
        guard let parsed = withContiguousBytes(bytes, Instant.parseRFC3339) else { return nil }
        self = parsed
    }

    @usableFromInline
    package static func parseRFC3339(_ b: UnsafeBufferPointer<UInt8>) -> Instant? {
        // Shortest form: "YYYY-MM-DDTHH:MM:SSZ" (20 bytes).
        guard b.count >= 20, b.count <= 64 else { return nil }
        func digits(_ at: Int, _ count: Int) -> Int? {
            var value = 0
            for i in at..<(at + count) {
                let d = Int(b[i]) &- 0x30
                guard d >= 0, d <= 9 else { return nil }
                value = value * 10 + d
            }
            return value
        }
        guard let year = digits(0, 4), b[4] == UInt8(ascii: "-"),
              let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
              let day = digits(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
              let hour = digits(11, 2), b[13] == UInt8(ascii: ":"),
              let minute = digits(14, 2), b[16] == UInt8(ascii: ":"),
              let second = digits(17, 2)
        else { return nil }

        var i = 19
        var micro = 0
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if i - start < 6 { micro = micro * 10 + Int(b[i] - 0x30) }
                i += 1
            }
            let fractionDigits = i - start
            guard fractionDigits >= 1 else { return nil }
            for _ in Swift.min(fractionDigits, 6)..<6 { micro *= 10 }
        }
        guard i < b.count else { return nil }

        var offsetMinutes = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard b.count - i == 6, let oh = digits(i + 1, 2), b[i + 3] == UInt8(ascii: ":"),
                  let om = digits(i + 4, 2), oh <= 23, om <= 59
            else { return nil }
            offsetMinutes = (oh * 60 + om) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        default:
            return nil
        }
        guard i == b.count,
              let local = Instant(year: year, month: month, day: day,
                                  hour: hour, minute: minute, second: second, microsecond: micro)
        else { return nil }
        // Local time minus its offset is UTC.
        let utc = local.advanced(byMicroseconds: -Int64(offsetMinutes) * 60 * Instant.microsecondsPerSecond)
        return Instant.rfc3339Range.contains(utc) ? utc : nil
    }

    /// UTC with `Z`: no fraction when the microseconds are zero, otherwise exactly six digits, so
    /// the text sorts and round-trips exactly. Instants outside `rfc3339Range` (only reachable by
    /// constructing them directly) are written with as many year digits as needed.
    public var rfc3339: String {
        var out: [UInt8] = []
        out.reserveCapacity(27)
        writeRFC3339(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `rfc3339`'s bytes, digits written in place: replay prints millions of these.
    public func writeRFC3339(to out: inout [UInt8]) {
        let c = components
        func append(_ value: Int, width: Int) {
            let end = out.count + width
            out.append(contentsOf: repeatElement(0x30, count: width))
            var v = value
            for k in stride(from: end - 1, through: end - width, by: -1) {
                out[k] = UInt8(0x30 + v % 10)
                v /= 10
            }
        }
        if c.year >= 0, c.year <= 9999 {
            append(Int(c.year), width: 4)
        } else {
            out.append(contentsOf: String(c.year).utf8)
        }
        out.append(UInt8(ascii: "-")); append(c.month, width: 2)
        out.append(UInt8(ascii: "-")); append(c.day, width: 2)
        out.append(UInt8(ascii: "T")); append(c.hour, width: 2)
        out.append(UInt8(ascii: ":")); append(c.minute, width: 2)
        out.append(UInt8(ascii: ":")); append(c.second, width: 2)
        if c.microsecond != 0 {
            out.append(UInt8(ascii: ".")); append(c.microsecond, width: 6)
        }
        out.append(UInt8(ascii: "Z"))
    }
}

/// Runs `body` over the bytes in place when they are contiguous, else over a copy.
@inlinable
package func withContiguousBytes<R, E: Error>(
    _ bytes: some Collection<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R
) throws(E) -> R {
    let result: Result<R, E>? = bytes.withContiguousStorageIfAvailable { buffer in
        Result { () throws(E) in try body(buffer) }
    }
    if let result { return try result.get() }
    return try Array(bytes).withUnsafeBufferPointer { buffer throws(E) in try body(buffer) }
}
