import Testing
import Lifecycle
import EventFormat
import LifecycleFixtures

/// Error messages quote at most 64 bytes of any input key or value, cut on a scalar boundary.
@Suite struct ErrorEchoTests {
    static func failure(_ body: JSONValue) -> DecodingFailure? {
        do {
            _ = try EventDecoder.decode(body.jsonBytes)
            return nil
        } catch {
            return error
        }
    }

    /// The quoted part of `message` between the first pair of double quotes.
    static func quoted(_ message: String) -> Substring? {
        let parts = message.split(separator: "\"", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count == 3 ? parts[1] : nil
    }

    @Test(arguments: [
        String(repeating: "x", count: 10_000),
        String(repeating: "é", count: 5_000),
        String(repeating: "😀", count: 5_000),
        // One character (grapheme) of 4 001 bytes: a cap in Characters would not cap it.
        "e" + String(repeating: "\u{301}", count: 2_000),
    ])
    func quotedValuesAreCappedAt64Bytes(_ value: String) throws {
        for path in ["data.addon.activationTrigger", "data.addon.validity.unit", "time"] {
            let failure = try #require(Self.failure(Rejection.created.replacing(path, with: .string(value))))
            let quoted = try #require(Self.quoted(failure.message))
            #expect(quoted.utf8.count <= 64)
            #expect(quoted.hasSuffix("…"))
            // A byte prefix (may end inside a grapheme, never inside a scalar).
            #expect(value.utf8.starts(with: quoted.dropLast().utf8))
            #expect(failure.message.utf8.count < 200)
        }
    }

    @Test func longNumbersAndKeysAreCappedToo() throws {
        let digits = JSONNumber(literal: String(repeating: "9", count: 5_000))!
        let number = try #require(Self.failure(Rejection.created.replacing("data.addon.validity.value", with: .number(digits))))
        #expect(number.message.utf8.count < 200)

        let key = String(repeating: "k", count: 5_000)
        let body = Rejection.created.replacing("data.addon." + key, with: "x\u{0}")
        let failure = try #require(Self.failure(body))
        #expect(failure.field!.utf8.count <= "data.addon.".utf8.count + 64)
        #expect(failure.message.utf8.count < 300)
        #expect(failure.hint!.utf8.count < 300)
    }
}
