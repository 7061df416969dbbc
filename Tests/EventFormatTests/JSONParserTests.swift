import Testing
import PropertyBased
import Lifecycle
import EventFormat
import LifecycleFixtures

@Suite struct JSONParserTests {
    @Test(arguments: [
        ("null", JSONValue.null),
        ("true", .bool(true)),
        (" false ", .bool(false)),
        ("0", .number(JSONNumber(0))),
        ("-12", .number(JSONNumber(-12))),
        ("\"\"", .string("")),
        ("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", .string("a\"b\\c/d\u{8}\u{c}\n\r\t")),
        ("\"\\u00e9\\u4E2D\"", .string("é中")),
        ("\"\\ud83d\\ude00\"", .string("😀")),
        ("\"héllo 😀\"", .string("héllo 😀")),
        ("[]", .array([])),
        ("{}", .object([])),
        ("[1,[2,{}],\"x\"]", [1, [2, [:]], "x"]),
        ("{\"b\":1,\"a\":[true,null]}", ["b": 1, "a": [true, nil]]),
        ("\t\r\n{ \"k\" : \"v\" }\n", ["k": "v"]),
    ] as [(String, JSONValue)])
    func parsesValidJSON(_ text: String, _ expected: JSONValue) throws {
        #expect(try JSONValue(parsing: text) == expected)
    }

    @Test func keepsMemberOrder() throws {
        let value = try JSONValue(parsing: #"{"z":1,"a":2,"m":3}"#)
        #expect(value.objectValue?.map(\.key) == ["z", "a", "m"])
        #expect(value.jsonString == #"{"z":1,"a":2,"m":3}"#)
    }

    @Test(arguments: [
        "0", "-0", "1.5", "-1.5e10", "1E+2", "1e-2", "123456789012345678901234567890",
        "1e400", "-1e400", "0.000000000000000000000000000001",
    ])
    func keepsNumberLiteralsExactly(_ literal: String) throws {
        let value = try JSONValue(parsing: literal)
        #expect(value.numberValue?.literal == literal)
        #expect(value.jsonString == literal)
    }

    @Test func integerAccessors() throws {
        #expect(JSONNumber(literal: "9223372036854775807")?.int64 == .max)
        #expect(JSONNumber(literal: "-9223372036854775808")?.int64 == .min)
        #expect(JSONNumber(literal: "9223372036854775808")?.int64 == nil)
        #expect(JSONNumber(literal: "-9223372036854775809")?.int64 == nil)
        #expect(JSONNumber(literal: "7.0")?.int64 == nil)
        #expect(JSONNumber(literal: "7.0")?.exactInteger == 7)
        #expect(JSONNumber(literal: "7e0")?.exactInteger == 7)
        #expect(JSONNumber(literal: "7.5")?.exactInteger == nil)
        #expect(JSONNumber(literal: "1e400")?.exactInteger == nil)
        #expect(JSONNumber(literal: "1e400")?.double == .infinity)
        #expect(JSONNumber(literal: "01") == nil)
    }

    @Test(arguments: [
        "", " ", "nul", "tru", "True", "NaN", "Infinity", "-", "01", "-01", "1.", ".5", "1e", "1e+",
        "+1", "0x10", "[", "]", "[1,]", "[,1]", "[1 2]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
        "{a:1}", "{'a':1}", "{\"a\" 1}", "{\"a\":1 \"b\":2}", "\"abc", "\"\\x\"", "\"\\u12\"",
        "\"\\u12G4\"", "\"a\tb\"", "\"a\nb\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83d\\u0041\"",
        "\"\\ud83dx\"", "1 2", "{} {}", "null x", "[1]]", "{\"a\":1,\"a\":2}", "\u{FEFF}{}",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test(arguments: [
        [0x22, 0xFF, 0x22],                    // invalid byte
        [0x22, 0xC0, 0xAF, 0x22],              // overlong '/'
        [0x22, 0xE0, 0x80, 0xAF, 0x22],        // overlong 3-byte
        [0x22, 0xED, 0xA0, 0x80, 0x22],        // UTF-8 encoded surrogate
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
        [0x22, 0xC3, 0x22],                    // truncated sequence
        [0x22, 0x80, 0x22],                    // stray continuation byte
        [0xC3, 0xA9],                          // non-ASCII outside a string
        [0x22, 0x61, 0x00, 0x22],              // NUL in string
    ] as [[UInt8]])
    func rejectsInvalidUTF8(_ bytes: [UInt8]) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: bytes) }
    }

    @Test func acceptsFourByteUTF8() throws {
        #expect(try JSONValue(parsing: [0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22] as [UInt8]) == .string("😀"))
    }

    @Test func nestingLimit() throws {
        let limit = JSONParser.defaultMaxDepth
        let ok = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(throws: Never.self) { try JSONValue(parsing: ok) }
        let tooDeep = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        let error = #expect(throws: JSONParseError.self) { try JSONValue(parsing: tooDeep) }
        #expect(error?.reason.contains("nesting") == true)
        let objects = String(repeating: "{\"a\":", count: limit + 1) + "1" + String(repeating: "}", count: limit + 1)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: objects) }
        // A hostile body of 100 000 brackets fails fast instead of overflowing the stack.
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: String(repeating: "[", count: 100_000)) }
    }

    @Test func duplicateKeysAreRejectedAlsoInLargeObjects() throws {
        let members = (0..<40).map { "\"k\($0)\":\($0)" }
        #expect(throws: Never.self) { try JSONValue(parsing: "{" + members.joined(separator: ",") + "}") }
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: "{" + (members + ["\"k3\":0"]).joined(separator: ",") + "}") }
    }

    /// Keys are compared as strings, not as bytes: an escaped spelling or a canonically
    /// equivalent one (KELVIN SIGN is K) is the same key, also when the first key is plain.
    @Test(arguments: [#"{"id":1,"\u0069d":2}"#, #"{"\u0069d":1,"id":2}"#, "{\"K\":1,\"\u{212A}\":2}", #"{"a":1,"b":2,"a":3}"#])
    func duplicateKeysAreFoundWhateverTheirSpelling(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test func keysThatOnlyShareLengthAndEndsAreDistinct() throws {
        // Same length, first and last byte: the quick check must not decide alone.
        #expect(try JSONValue(parsing: #"{"type":1,"tape":2,"time":3}"#)["tape"] == 2)
    }

    @Test func errorsCarryTheOffset() {
        let error = #expect(throws: JSONParseError.self) { try JSONValue(parsing: "[1,2,x]") }
        #expect(error?.offset == 5)
    }

    @Test func serializerEscapesAndRoundTrips() throws {
        let value: JSONValue = ["s": "quote\" back\\ nl\n tab\t ctl\u{1} é😀 /", "n": [1, -2.5, nil, false]]
        let text = value.jsonString
        #expect(text == #"{"s":"quote\" back\\ nl\n tab\t ctl\u0001 é😀 /","n":[1,-2.5,null,false]}"#)
        #expect(try JSONValue(parsing: text) == value)
    }

    @Test func neverCrashesOnRandomBytes() async {
        await propertyCheck(count: 500, input: Gen<UInt8>.value(in: 0...255).array(of: 0...64)) { bytes in
            if let value = try? JSONValue(parsing: bytes) {
                #expect((try? JSONValue(parsing: value.jsonBytes)) == value)
            }
        }
    }

    /// Mutating valid documents reaches much deeper into the grammar than random bytes.
    @Test func neverCrashesOnMutatedEvents() async throws {
        let seed = Fixture.created("evt_01", at: "2025-12-15T10:30:00Z", sad: "sad_1", addon: Fixture.asiaPacific10GB).jsonBytes
        let interesting: [UInt8] = Array("\"\\{}[],:0123456789-+.eEtrufalsn \u{7F}".utf8) + [0x00, 0x80, 0xC3, 0xED, 0xF4, 0xFF]
        let mutation = zip(Gen.int(in: 0...(seed.count - 1)), Gen.int(in: 0...(interesting.count - 1)), Gen.int(in: 0...2))
        await propertyCheck(count: 1000, input: mutation.array(of: 1...4)) { edits in
            var bytes = seed
            for (position, byteIndex, operation) in edits {
                let at = min(position, bytes.count - 1)
                switch operation {
                case 0: bytes[at] = interesting[byteIndex]
                case 1: bytes.insert(interesting[byteIndex], at: at)
                default: bytes.remove(at: at)
                }
            }
            if let value = try? JSONValue(parsing: bytes) {
                #expect((try? JSONValue(parsing: value.jsonBytes)) == value)
            }
            // The decoder must also answer (event or typed failure), never trap.
            _ = try? EventDecoder.decode(bytes)
        }
    }
}
