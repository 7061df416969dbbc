import Lifecycle
/// A JSON number kept as its literal text, so integers of any size round-trip exactly and no
/// precision is lost between the provider's payload, PostgreSQL and replay.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The literal as it appeared (already validated against the RFC 8259 grammar).
    public let literal: String

    /// Only for literals that passed the JSON grammar (the parser and the serializer rely on it).
    init(uncheckedLiteral: String) {
        self.literal = uncheckedLiteral
    }

    public init(_ value: Int64) {
        self.literal = String(value)
    }

    public init(_ value: Int) {
        self.literal = String(value)
    }

    /// nil for NaN and infinities, which JSON cannot express.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        if value == value.rounded(), value.magnitude < 9.0e15 {
            self.literal = String(Int64(value))
        } else {
            self.literal = "\(value)"
        }
    }

    public var description: String { literal }

    /// The value when the literal is a plain integer (no fraction, no exponent) fitting in Int64.
    public var int64: Int64? {
        var result: Int64 = 0
        var negative = false
        var sawDigit = false
        for byte in literal.utf8 {
            switch byte {
            case UInt8(ascii: "-") where !sawDigit && !negative:
                negative = true
            case 0x30...0x39:
                sawDigit = true
                let digit = Int64(byte - 0x30)
                let (times10, o1) = result.multipliedReportingOverflow(by: 10)
                let (next, o2) = negative
                    ? times10.subtractingReportingOverflow(digit)
                    : times10.addingReportingOverflow(digit)
                if o1 || o2 { return nil }
                result = next
            default:
                return nil
            }
        }
        return sawDigit ? result : nil
    }

    /// The mathematical value when it is an integer in Int64, also for spellings like `7.0`,
    /// `7e0` or `70e-1` (a validity of `7.0` days is still seven days). Decided exactly from the
    /// literal: `1e-400` is not an integer and `9007199254740993.0` is exactly that.
    public var exactInteger: Int64? {
        if case .int64(let i) = integerValue { return i }
        return nil
    }

    /// Nearest Double (±infinity for literals beyond Double's range). Not used for decisions.
    public var double: Double? { Double(literal) }

    enum IntegerValue: Equatable {
        case int64(Int64)
        /// An integer, but outside Int64 (`1e30`).
        case beyondInt64
        case notInteger
    }

    /// Exact classification of the literal's value (digits × 10^exponent, no floating point).
    var integerValue: IntegerValue {
        if let plain = int64 { return .int64(plain) }
        var negative = false
        var digits: [UInt8] = []
        var pointShift = 0
        var exponent = 0
        var exponentNegative = false
        var part = 0 // 0: integer digits, 1: fraction, 2: exponent
        for byte in literal.utf8 {
            switch byte {
            case UInt8(ascii: "-") where part == 0: negative = true
            case UInt8(ascii: "-"): exponentNegative = true
            case UInt8(ascii: "+"): break
            case UInt8(ascii: "."): part = 1
            case UInt8(ascii: "e"), UInt8(ascii: "E"): part = 2
            default:
                let d = Int(byte &- 0x30)
                if part == 2 {
                    // Saturate: no body has a billion digits to compensate such an exponent.
                    exponent = Swift.min(exponent * 10 + d, 1_000_000_000)
                } else {
                    if part == 1 { pointShift -= 1 }
                    if d != 0 || !digits.isEmpty { digits.append(UInt8(d)) }
                }
            }
        }
        guard let lastNonZero = digits.lastIndex(where: { $0 != 0 }) else { return .int64(0) }
        // value = digits[...lastNonZero] × 10^scale
        let scale = (exponentNegative ? -exponent : exponent) + pointShift + (digits.count - 1 - lastNonZero)
        guard scale >= 0 else { return .notInteger }
        guard lastNonZero + 1 + scale <= 19 else { return .beyondInt64 }
        var magnitude: UInt64 = 0
        for d in digits[...lastNonZero] { magnitude = magnitude * 10 + UInt64(d) }
        for _ in 0..<scale {
            let (m, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            if overflow { return .beyondInt64 }
            magnitude = m
        }
        if negative {
            if magnitude == UInt64(Int64.max) + 1 { return .int64(.min) }
            return magnitude <= UInt64(Int64.max) ? .int64(-Int64(magnitude)) : .beyondInt64
        }
        return magnitude <= UInt64(Int64.max) ? .int64(Int64(magnitude)) : .beyondInt64
    }
}
