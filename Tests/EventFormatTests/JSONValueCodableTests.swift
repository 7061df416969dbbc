import Foundation
import Testing
import Lifecycle
import EventFormat
import LifecycleFixtures

/// `JSONValue` is `Codable` as its JSON text, so nothing about it changes on the way.
@Suite struct JSONValueCodableTests {
    static let awkward = #"{"zeta":1,"alpha":{"b":2,"a":[123456789012345678901234567890,-0,1.50,1e400,-1E-400]},"m":"é\u0001\"","n":null,"t":true}"#

    @Test func roundTripIsByteExact() throws {
        let value = try JSONValue(parsing: Self.awkward)
        let decoded = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(value))
        #expect(decoded.jsonString == value.jsonString)
        #expect(decoded == value)
    }

    @Test func encodedFormIsTheCompactText() throws {
        let value = try JSONValue(parsing: Self.awkward)
        let data = try JSONEncoder().encode([value])
        #expect(try JSONDecoder().decode([String].self, from: data) == [value.jsonString])
    }

    @Test func valuesBuiltInCodeRoundTripToo() throws {
        let duplicateKeys = JSONValue.object([JSONMember("a", 1), JSONMember("a", 2)])
        let deep = (0..<100).reduce(JSONValue.null) { inner, _ in [inner] }
        for value in [duplicateKeys, deep, .string("nul\u{0}inside")] {
            let decoded = try JSONDecoder().decode([JSONValue].self, from: try JSONEncoder().encode([value]))
            #expect(decoded == [value])
        }
    }

    @Test func textThatIsNotJSONFailsToDecode() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([JSONValue].self, from: Data(#"["{\"a\":"]"#.utf8))
        }
    }
}
