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
