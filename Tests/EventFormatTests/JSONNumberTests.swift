import Testing
import Lifecycle
import EventFormat
import LifecycleFixtures

/// Integer-ness is decided from the literal text exactly, never through `Double`.
@Suite struct JSONNumberTests {
    @Test(arguments: [
        ("7", 7), ("7.0", 7), ("7e0", 7), ("70e-1", 7), ("0.05e2", 5), ("1.50e1", 15), ("-0", 0),
        ("-0.000e-7", 0), ("0e400", 0), ("1e18", 1_000_000_000_000_000_000),
        ("9007199254740993.0", 9_007_199_254_740_993), ("9007199254740993", 9_007_199_254_740_993),
        ("9223372036854775807.000", .max), ("-9223372036854775808.0", .min),
        ("92233720368547758.07e2", .max), ("1" + String(repeating: "0", count: 400) + "e-400", 1),
    ] as [(String, Int64)])
    func exactIntegers(_ literal: String, _ expected: Int64) throws {
        #expect(try #require(JSONNumber(literal: literal)).exactInteger == expected)
    }

    @Test(arguments: [
        "1e-400", "0.5", "7.000001", "1e19", "9223372036854775808.0", "-9223372036854775809e0",
        "1e1000000000000", "123456789012345678901234567890", "1e-1000000000000",
    ])
    func notExactInt64(_ literal: String) throws {
        #expect(try #require(JSONNumber(literal: literal)).exactInteger == nil)
    }

    /// "1e-400" used to count as 0 through Double, making a paid add-on free.
    @Test func tinyNonIntegerPriceIsAWrongType() throws {
        let body = Rejection.created.replacing("data.addon.price.amount", with: .number(JSONNumber(literal: "1e-400")!))
        let failure = #expect(throws: DecodingFailure.self) { try EventDecoder.decode(body.jsonBytes) }
        #expect(failure?.code == DecodingFailure.Code.wrongType)
        #expect(failure?.field == "data.addon.price.amount")
    }

    @Test func largeExactIntegersDecodeExactly() throws {
        let body = Rejection.created.replacing("data.addon.price.amount", with: .number(JSONNumber(literal: "9007199254740993.0")!))
        guard case .addonCreated(let created) = try Fixture.event(body).payload else { Issue.record("wrong payload"); return }
        #expect(created.addon.price.amount == 9_007_199_254_740_993)
        // An integer beyond Int64 is out of range, not of the wrong type.
        let huge = Rejection.created.replacing("data.addon.price.amount", with: .number(JSONNumber(literal: "1e30")!))
        #expect(throws: DecodingFailure.self) { try EventDecoder.decode(huge.jsonBytes) }
        do { _ = try EventDecoder.decode(huge.jsonBytes) } catch { #expect(error.code == DecodingFailure.Code.invalidValue) }
    }
}
