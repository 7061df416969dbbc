import Lifecycle
extension FieldReader {
    /// Identifiers (event id, project, subscription, sad, add-on, invoice, line-item
    /// `subscriptionAddon`): 1...255 bytes of printable ASCII 0x21–0x7E. They become primary keys,
    /// URL path segments and log fields, and PostgreSQL compares them byte for byte while Swift
    /// `String` compares by canonical equivalence ("é" and "e\u{301}" are equal in Swift, distinct
    /// in the database): with ASCII only, both sides agree on identity and order.
    static func checkIdentifier(_ utf8: some Sequence<UInt8>, field: @autoclosure () -> String) throws(DecodingFailure) {
        let limit = EventDecoder.maxIdentifierLength
        var count = 0
        for byte in utf8 {
            count += 1
            guard byte >= 0x21, byte <= 0x7E, count <= limit else {
                let reason = count > limit ? "is longer than \(limit) bytes"
                    : byte == 0x20 ? "contains a space"
                    : byte >= 0x80 ? "contains a non-ASCII character"
                    : "contains a control character"
                throw invalidIdentifier(field(), reason: reason)
            }
        }
        if count == 0 { throw invalidIdentifier(field(), reason: "is empty") }
    }

    /// Exactly what `checkIdentifier` accepts, 8 bytes at a time and without the reason (the
    /// decoder reads several identifiers per event and nearly all are valid).
    static func isPrintableASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= EventDecoder.maxIdentifierLength, let base = bytes.baseAddress else { return false }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        // A byte below 0x21 borrows in `word - 0x21…` while its own high bit is clear; a byte of
        // 0x7F or more has its high bit set in `word + 0x01…` or in the word itself.
        func isPrintable(_ word: UInt64) -> Bool {
            ((word &- ones &* 0x21) & ~word | (word &+ ones) | word) & highs == 0
        }
        var i = 0
        while bytes.count - i >= 8 {
            guard isPrintable(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) else { return false }
            i += 8
        }
        // The last bytes, padded with a printable byte ("!").
        var tail = ones &* 0x21
        for k in i..<bytes.count { tail = tail & ~(0xFF << (8 * UInt64(k - i))) | UInt64(bytes[k]) << (8 * UInt64(k - i)) }
        return isPrintable(tail)
    }

    private static func invalidIdentifier(_ field: String, reason: String) -> DecodingFailure {
        .invalid(
            field: field, code: DecodingFailure.Code.invalidValue,
            message: "\(field) \(reason).",
            hint: "Send \(field) as 1 to \(EventDecoder.maxIdentifierLength) printable ASCII characters (0x21–0x7E: no spaces, control or non-ASCII characters).")
    }

    static func checkCountry(_ s: String, field: @autoclosure () -> String) throws(DecodingFailure) {
        guard CountryCodes.isAccepted(s) else {
            let f = field()
            let upper = String(decoding: s.utf8.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
            var hint = "Send \(f) as an uppercase ISO 3166-1 alpha-2 code such as \"JP\" or \"DE\"."
            if upper != s, CountryCodes.isAccepted(upper) {
                hint = "Send \(f) in uppercase: \"\(upper)\"."
            } else if s == "UK" {
                hint = "Send \(f) as \"GB\", the ISO 3166-1 code of the United Kingdom."
            }
            throw .invalid(
                field: f, code: DecodingFailure.Code.invalidCountry,
                message: "\(f) \"\(Echo.excerpt(s))\" is not an ISO 3166-1 alpha-2 country code.",
                hint: hint)
        }
    }
}
