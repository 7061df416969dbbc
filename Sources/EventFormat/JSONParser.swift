import Lifecycle
/// Strict RFC 8259 parser over raw bytes. Written by hand because the ingest and replay hot paths
/// decode every event (target 200 000 events/s per core) and because it must never trap on
/// hostile input: every byte sequence yields a value or a `JSONParseError`.
///
/// Rejected on purpose: invalid UTF-8 (overlong forms, encoded surrogates, > U+10FFFF), lone
/// surrogate `\u` escapes, control characters in strings, a leading BOM, duplicate object keys
/// (two readers must never disagree on a signed payload), nesting deeper than `maxDepth`,
/// trailing non-whitespace.
///
/// `\u0000` is valid JSON and accepted here; `EventDecoder` refuses it (PostgreSQL cannot store
/// it), which is why the internal `parseNotingHazards` reports it instead of failing.
public enum JSONParser: Sendable {
    public static let defaultMaxDepth = 64

    public static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = defaultMaxDepth
    ) throws(JSONParseError) -> JSONValue {
        var scanner = JSONScanner(bytes: bytes, maxDepth: maxDepth)
        return try scanner.scanDocument().value(at: JSONTape.root)
    }

    public static func parse(
        _ bytes: some Collection<UInt8>, maxDepth: Int = defaultMaxDepth
    ) throws(JSONParseError) -> JSONValue {
        try withContiguousBytes(bytes) { buffer throws(JSONParseError) in try parse(buffer, maxDepth: maxDepth) }
    }

    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }

    /// Like `parse`, but duplicate keys are kept (not thrown) and both they and `\u0000` escapes
    /// are reported, so the event decoder can answer 422 with the field's path, and walk the
    /// document for that path only when one of them occurred.
    static func parseNotingHazards(
        _ bytes: some Collection<UInt8>, maxDepth: Int = defaultMaxDepth
    ) throws(JSONParseError) -> (value: JSONValue, hasHazards: Bool) {
        try withContiguousBytes(bytes) { buffer throws(JSONParseError) in
            var scanner = JSONScanner(bytes: buffer, maxDepth: maxDepth, keepsDuplicateKeys: true)
            let tape = try scanner.scanDocument()
            return (tape.value(at: JSONTape.root), scanner.sawNUL || scanner.sawDuplicateKey)
        }
    }
}

/// The parser's cursor over one buffer: validates the whole text and records it as a `JSONTape`.
/// Lives only for the duration of one scan.
struct JSONScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    private var index = 0
    private var depth = 0
    private var tape: JSONTape
    /// Keep (instead of reject) duplicate keys; `sawDuplicateKey` records that one occurred.
    private let keepsDuplicateKeys: Bool
    private(set) var sawDuplicateKey = false
    /// A `\u0000` escape occurred in a string or key.
    private(set) var sawNUL = false

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, keepsDuplicateKeys: Bool = false) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.keepsDuplicateKeys = keepsDuplicateKeys
        tape = JSONTape(bytes: bytes)
    }

    mutating func scanDocument() throws(JSONParseError) -> JSONTape {
        // Offsets are kept in 32 bits; no event or stored value comes near 2 GiB.
        guard bytes.count <= Int(Int32.max) else { throw JSONParseError(offset: 0, reason: "document larger than 2 GiB") }
        skipWhitespace()
        try scanValue()
        skipWhitespace()
        guard index == bytes.count else {
            throw error("unexpected data after the JSON value")
        }
        return tape
    }

    // MARK: - Grammar

    private func error(_ reason: String) -> JSONParseError {
        JSONParseError(offset: index, reason: reason)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D:
                index += 1
                tape.isCompact = false
            default: return
            }
        }
    }

    /// Appends a node without children (`next` is the node after it).
    private mutating func append(_ kind: JSONTape.Kind, start: Int, end: Int, isPlain: Bool = false, hasEscapes: Bool = false) {
        let next = Int32(tape.nodes.count + 1)
        tape.nodes.append(JSONTape.Node(
            kind: kind, isPlain: isPlain, hasEscapes: hasEscapes, start: Int32(start), end: Int32(end), next: next))
    }

    private mutating func scanValue() throws(JSONParseError) {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): try scanObject()
        case UInt8(ascii: "["): try scanArray()
        case UInt8(ascii: "\""): try scanString()
        case UInt8(ascii: "t"): try expectLiteral("true"); append(.true, start: index - 4, end: index)
        case UInt8(ascii: "f"): try expectLiteral("false"); append(.false, start: index - 5, end: index)
        case UInt8(ascii: "n"): try expectLiteral("null"); append(.null, start: index - 4, end: index)
        case UInt8(ascii: "-"), 0x30...0x39: try scanNumber()
        default: throw error("unexpected character")
        }
    }

    private mutating func expectLiteral(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw error("invalid literal") }
        let start = word.utf8Start
        for k in 0..<count where bytes[index + k] != start[k] {
            throw error("invalid literal")
        }
        index += count
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
    }

    /// Appends a container's node; `close` fills in its child count and extent.
    private mutating func open(_ kind: JSONTape.Kind) -> Int {
        append(kind, start: index, end: 0)
        return tape.nodes.count - 1
    }

    /// Called just after the closing bracket.
    private mutating func close(_ node: Int, children: Int) {
        tape.nodes[node].end = Int32(index)
        tape.nodes[node].count = Int32(children)
        tape.nodes[node].next = Int32(tape.nodes.count)
        depth -= 1
    }

    private mutating func scanObject() throws(JSONParseError) {
        try enter()
        let node = open(.object)
        index += 1
        var members = 0
        var seenHashes: UInt64 = 0
        var seenKeys: Set<String>? = nil
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            close(node, children: 0)
            return
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error("expected a string key")
            }
            let keyOffset = index
            try scanString()
            let keyNode = tape.nodes.count - 1
            if tape.nodes[keyNode].isPlain { tape.nodes[keyNode].hash = JSONTape.hash(tape.span(keyNode)) }
            if isDuplicate(key: keyNode, in: node, members: members, seenHashes: &seenHashes, seen: &seenKeys) {
                // The key is not echoed: it is unbounded input.
                guard keepsDuplicateKeys else { throw JSONParseError(offset: keyOffset, reason: "duplicate object key") }
                sawDuplicateKey = true
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw error("expected ':' after an object key")
            }
            index += 1
            skipWhitespace()
            try scanValue()
            members += 1
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "}") else { throw error("expected ',' or '}' in object") }
            index += 1
            close(node, children: members)
            return
        }
    }

    /// Compares with the earlier keys of the same object for the usual small objects; a hash set
    /// once an object grows, so a hostile object with 40 000 keys costs milliseconds, not seconds.
    /// `seenHashes` has a bit per key hash seen in this object: a plain key whose bit is clear
    /// cannot be a duplicate of a plain key, and most keys are decided by that bit alone.
    @inline(__always)
    private func isDuplicate(
        key: Int, in object: Int, members: Int, seenHashes: inout UInt64, seen: inout Set<String>?
    ) -> Bool {
        if seen == nil {
            if members < 16 {
                let node = tape.nodes[key]
                if node.isPlain {
                    let bit: UInt64 = 1 << UInt64(node.hash)
                    defer { seenHashes |= bit }
                    if seenHashes & bit == 0 { return false }
                } else {
                    // A key with escapes or non-ASCII may equal any other: compare all from now on.
                    seenHashes = ~0
                }
                var earlier = object + 1
                for _ in 0..<members {
                    if tape.equals(earlier, key) { return true }
                    earlier = Int(tape.nodes[earlier + 1].next)
                }
                return false
            }
            var keys = Set<String>()
            var earlier = object + 1
            for _ in 0..<members {
                keys.insert(tape.string(earlier))
                earlier = Int(tape.nodes[earlier + 1].next)
            }
            seen = keys
        }
        return !seen!.insert(tape.string(key)).inserted
    }

    private mutating func scanArray() throws(JSONParseError) {
        try enter()
        let node = open(.array)
        index += 1
        var elements = 0
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            close(node, children: 0)
            return
        }
        while true {
            skipWhitespace()
            try scanValue()
            elements += 1
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated array") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "]") else { throw error("expected ',' or ']' in array") }
            index += 1
            close(node, children: elements)
            return
        }
    }

    private mutating func scanNumber() throws(JSONParseError) {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw error("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if isDigit(at: index) {
            while isDigit(at: index) { index += 1 }
        } else {
            throw error("invalid number")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard isDigit(at: index) else { throw error("invalid number: digit expected after '.'") }
            while isDigit(at: index) { index += 1 }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard isDigit(at: index) else { throw error("invalid number: digit expected in exponent") }
            while isDigit(at: index) { index += 1 }
        }
        append(.number, start: start, end: index)
    }

    private func isDigit(at i: Int) -> Bool {
        i < bytes.count && bytes[i] &- 0x30 < 10
    }

    /// Validates a string starting at its opening quote and appends its node. Fast path: plain
    /// ASCII without escapes.
    private mutating func scanString() throws(JSONParseError) {
        index += 1
        let start = index
        skipPlainWords()
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                append(.string, start: start, end: index, isPlain: true)
                index += 1
                return
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
            index += 1
        }
        var hasEscapes = false
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                append(.string, start: start, end: index, hasEscapes: hasEscapes)
                index += 1
                return
            case UInt8(ascii: "\\"):
                hasEscapes = true
                tape.isCompact = false
                try scanEscape()
            case 0..<0x20:
                throw error("control character in string")
            case 0..<0x80:
                index += 1
            default:
                try scanUTF8Sequence()
            }
        }
        throw error("unterminated string")
    }

    /// Skips 8 bytes at a time while none of them is `"`, `\`, a control byte or non-ASCII
    /// (most of an event's bytes are plain string content).
    private mutating func skipPlainWords() {
        guard let base = bytes.baseAddress else { return }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while bytes.count - index >= 8 {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            // Each term has its high bit set in some byte exactly when a byte is 0 (quote,
            // backslash), below 0x20, or at least 0x80.
            let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
                | ((word &- ones &* 0x20) & ~word) | word
            guard special & highs == 0 else { return }
            index += 8
        }
    }

    private mutating func scanEscape() throws(JSONParseError) {
        index += 1
        guard index < bytes.count else { throw error("unterminated string") }
        let c = bytes[index]
        index += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return
        case UInt8(ascii: "u"):
            let scalar = try scanHex4()
            if scalar >= 0xD800, scalar <= 0xDBFF {
                guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"),
                      bytes[index + 1] == UInt8(ascii: "u")
                else { throw error("lone high surrogate in \\u escape") }
                index += 2
                let low = try scanHex4()
                guard low >= 0xDC00, low <= 0xDFFF else { throw error("invalid low surrogate in \\u escape") }
            } else if scalar >= 0xDC00, scalar <= 0xDFFF {
                throw error("lone low surrogate in \\u escape")
            } else if scalar == 0 {
                sawNUL = true
            }
        default:
            index -= 1
            throw error("invalid escape sequence")
        }
    }

    private mutating func scanHex4() throws(JSONParseError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let digit: UInt8
            switch c {
            case 0x30...0x39: digit = c - 0x30
            case 0x41...0x46: digit = c - 0x41 + 10
            case 0x61...0x66: digit = c - 0x61 + 10
            default: throw error("invalid hex digit in \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Validates one multi-byte UTF-8 sequence (RFC 3629 table).
    private mutating func scanUTF8Sequence() throws(JSONParseError) {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw error("invalid UTF-8")
        }
        guard bytes.count - index >= length, secondRange.contains(bytes[index + 1]) else {
            throw error("invalid UTF-8")
        }
        for k in 2..<length where bytes[index + k] & 0xC0 != 0x80 {
            throw error("invalid UTF-8")
        }
        index += length
    }
}

extension JSONValue {
    /// Parses a complete JSON text (see `JSONParser` for the exact strictness).
    public init(parsing bytes: some Collection<UInt8>) throws(JSONParseError) {
        self = try JSONParser.parse(bytes)
    }

    public init(parsing text: String) throws(JSONParseError) {
        self = try JSONParser.parse(text)
    }
}

extension JSONNumber {
    /// A number from its literal text, nil unless it is exactly one RFC 8259 number.
    public init?(literal: String) {
        guard case .number(let n)? = try? JSONParser.parse(literal) else { return nil }
        self = n
    }
}
