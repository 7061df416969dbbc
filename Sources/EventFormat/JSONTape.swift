import Lifecycle
/// A validated JSON text as a flat list of nodes pointing into its bytes, in document order:
/// what `JSONScanner` builds in one pass, with one allocation per document instead of a String,
/// an array or a member list per value. The event decoder reads the few fields it needs straight
/// from here (ingest and replay decode every event); `value(at:)` builds a `JSONValue` tree for
/// callers that want one. A tape is only valid while the buffer it was scanned from is.
///
/// Layout: a container's node is followed by its children, each a whole subtree. An object's
/// children alternate key (a string node) and value. `next` skips a subtree, so finding a member
/// walks only the object's own keys.
struct JSONTape {
    enum Kind: UInt8 {
        case null, `true`, `false`, number, string, array, object
    }

    struct Node {
        var kind: Kind
        /// Strings: the content is ASCII without escapes, so its bytes are its value and two
        /// plain strings are equal exactly when their bytes are (see `equals`).
        var isPlain: Bool
        /// Strings: the content has a `\` escape (else its bytes are its UTF-8 as they stand).
        var hasEscapes: Bool
        /// Strings: the content between the quotes; numbers and literals: the literal;
        /// containers: from the opening bracket to just after the closing one.
        var start: Int32
        var end: Int32
        /// The index of the first node after this value's subtree.
        var next: Int32
        /// Containers: the number of children (members for objects).
        var count: Int32 = 0
        /// Plain object keys: `JSONTape.hash` of the key (the duplicate check and `member` compare
        /// these first).
        var hash: UInt32 = 0
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var nodes: [Node]
    /// The text has no whitespace between tokens and no escapes: every subtree is already in
    /// compact form (`compactText` copies it).
    var isCompact = true

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        nodes = []
        // A node per ~8 bytes is typical for events; one growth at most for denser documents.
        nodes.reserveCapacity(bytes.count / 8 + 4)
    }

    /// The root value.
    static let root = 0

    func kind(_ i: Int) -> Kind { nodes[i].kind }

    /// Number of members (objects) or elements (arrays).
    func count(_ i: Int) -> Int { Int(nodes[i].count) }

    /// The RFC 8259 type name, for error messages (as `JSONValue.typeName`).
    func typeName(_ i: Int) -> String {
        switch nodes[i].kind {
        case .null: return "null"
        case .true, .false: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The raw bytes of a string's content (escapes not resolved), of a number's literal, or of a
    /// container from its opening bracket to its closing one.
    func span(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let node = nodes[i]
        return UnsafeBufferPointer(rebasing: bytes[Int(node.start)..<Int(node.end)])
    }

    /// The value of a string node.
    func string(_ i: Int) -> String {
        let raw = span(i)
        guard nodes[i].hasEscapes else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        JSONTape.unescape(raw, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The literal of a number node.
    func number(_ i: Int) -> JSONNumber {
        JSONNumber(uncheckedLiteral: String(decoding: span(i), as: UTF8.self))
    }

    /// A 6-bit hash of a key from its length and three of its bytes: constant time, and distinct
    /// for the keys of typical objects, which differ in length or in those bytes.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        guard let first = bytes.first, let last = bytes.last else { return 0 }
        let second = bytes.count > 1 ? bytes[1] : 0
        let mixed = (UInt32(bytes.count) &* 0x9E37_79B1 ^ (UInt32(first) | UInt32(second) << 8 | UInt32(last) << 16)) &* 0x85EB_CA6B
        return mixed >> 26
    }

    /// Whether key node `i` equals the ASCII `key` (as Swift compares strings). A plain key is
    /// compared by length, then bytes, with no String.
    func equals(_ i: Int, _ key: StaticString) -> Bool {
        let node = nodes[i]
        guard node.isPlain else { return string(i) == key.description }
        let count = Int(node.end - node.start)
        guard count == key.utf8CodeUnitCount else { return false }
        let expected = key.utf8Start
        for k in 0..<count where bytes[Int(node.start) + k] != expected[k] { return false }
        return true
    }

    /// Whether two string nodes are equal as Swift Strings (the parser's duplicate-key rule).
    func equals(_ a: Int, _ b: Int) -> Bool {
        if nodes[a].isPlain && nodes[b].isPlain {
            guard nodes[a].hash == nodes[b].hash else { return false }
            let x = span(a), y = span(b)
            return x.count == y.count && x.elementsEqual(y)
        }
        return string(a) == string(b)
    }

    /// The children of a container: for an object, its keys (the value of key `k` is `k + 1`);
    /// for an array, its elements.
    func children(_ i: Int) -> Children {
        Children(tape: self, container: i)
    }

    struct Children: Sequence {
        let tape: JSONTape
        let container: Int

        func makeIterator() -> Iterator {
            Iterator(nodes: tape.nodes, upcoming: container + 1, remaining: tape.count(container),
                     isObject: tape.kind(container) == .object)
        }

        struct Iterator: IteratorProtocol {
            let nodes: [Node]
            var upcoming: Int
            var remaining: Int
            let isObject: Bool

            mutating func next() -> Int? {
                guard remaining > 0 else { return nil }
                remaining -= 1
                let current = upcoming
                // Past the value that follows a key, or past the element itself.
                upcoming = Int(nodes[isObject ? current + 1 : current].next)
                return current
            }
        }
    }

    /// The value of the first member named `key` in object `i`, if any. Plain keys carry their
    /// hash, so only a key with the same hash (or one that is not plain) is compared.
    func member(_ key: StaticString, in i: Int) -> Int? {
        let hash = JSONTape.hash(UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        var k = i + 1
        for _ in 0..<nodes[i].count {
            let node = nodes[k]
            if node.hash == hash || !node.isPlain, equals(k, key) { return k + 1 }
            k = Int(nodes[k + 1].next)
        }
        return nil
    }

    /// Builds the `JSONValue` tree of node `i`.
    func value(at i: Int) -> JSONValue {
        switch nodes[i].kind {
        case .null: return .null
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .number: return .number(number(i))
        case .string: return .string(string(i))
        case .array:
            var elements: [JSONValue] = []
            elements.reserveCapacity(count(i))
            for e in children(i) { elements.append(value(at: e)) }
            return .array(elements)
        case .object:
            var members: [JSONMember] = []
            members.reserveCapacity(count(i))
            for k in children(i) { members.append(JSONMember(string(k), value(at: k + 1))) }
            return .object(members)
        }
    }

    /// Node `i` as compact JSON text, the same bytes as `value(at: i).jsonBytes`: a copy of the
    /// input when it was compact already (an export line is), else built through the tree.
    func compactText(at i: Int) -> String {
        guard isCompact else { return value(at: i).jsonString }
        return String(decoding: span(i), as: UTF8.self)
    }

    /// Resolves the escapes of string content the scanner has already validated.
    static func unescape(_ raw: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var i = 0
        func hex4(_ at: Int) -> UInt32 {
            var value: UInt32 = 0
            for k in at..<(at + 4) {
                let c = raw[k]
                let digit = c <= 0x39 ? c &- 0x30 : (c | 0x20) &- 0x61 &+ 10
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        while i < raw.count {
            let byte = raw[i]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                i += 1
                continue
            }
            let c = raw[i + 1]
            i += 2
            switch c {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(i)
                i += 4
                if scalar >= 0xD800, scalar <= 0xDBFF {
                    // Validated: a low surrogate escape follows.
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (hex4(i + 2) - 0xDC00)
                    i += 6
                }
                appendUTF8(scalar, to: &out)
            default:
                // `"`, `\` and `/` stand for themselves.
                out.append(c)
            }
        }
    }

    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
