import Testing
import Lifecycle
import EventFormat
import LifecycleFixtures

/// Valid JSON that cannot be stored or read unambiguously: U+0000 anywhere and duplicate keys are
/// 422 `invalid` naming the path; only syntax and nesting depth stay 400 `malformed`.
@Suite struct JSONHazardTests {
    static let created = Rejection.created
    static let invoice = Rejection.invoice

    static func failure(_ body: [UInt8]) -> DecodingFailure? {
        do {
            _ = try EventDecoder.decode(body)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        (created, "data.addon.name"),
        (created, "source"),
        (created, "data.status"),
        (created, "data.addon.coverage.name"),
        (created, "data.addon.price.currency"),
        (invoice, "data.lineItems[0].description"),
        (Rejection.latched, "data.country"),
        (Rejection.latched, "data.provider"),
        (Rejection.created, "type"),
    ] as [(JSONValue, String)])
    func nulInAStringIsInvalidAtItsPath(_ base: JSONValue, _ path: String) throws {
        let body = base.replacing(path, with: "before\u{0}after")
        #expect(body.jsonString.contains(#"\u0000"#))
        let failure = try #require(Self.failure(body.jsonBytes))
        #expect(failure.httpStatus == 422)
        #expect(failure.code == DecodingFailure.Code.invalidValue)
        #expect(failure.field == path)
        #expect(failure.hint?.contains("strings must not contain U+0000") == true)
        // The same for an envelope built in code (replay path).
        #expect(throws: failure) { try EventDecoder.decode(envelope: body) }
    }

    @Test func nulInAKeyIsInvalidAndShownEscaped() throws {
        let body = Self.created.replacing("data.addon.a\u{0}b", with: 1)
        let failure = try #require(Self.failure(body.jsonBytes))
        #expect(failure.code == DecodingFailure.Code.invalidValue)
        #expect(failure.field == #"data.addon.a\u0000b"#)
        #expect(failure.hint?.contains("strings must not contain U+0000") == true)
    }

    @Test func nulInAnIgnoredEventIsStillRefused() throws {
        let body = Fixture.envelope(id: "evt_1", type: "com.gigs.device.updated", time: "2025-12-15T10:30:00Z",
                                    data: ["notes": ["ok", "bad\u{0}"]])
        #expect(Self.failure(body.jsonBytes)?.field == "data.notes[1]")
    }

    @Test func otherEscapedControlCharactersAreFine() throws {
        let body = Self.created.replacing("data.addon.name", with: "tab\there \u{1}")
        #expect(throws: Never.self) { try EventDecoder.decode(body.jsonBytes) }
    }

    @Test(arguments: [
        ("id", "id"),
        ("data.addon.price.amount", "data.addon.price.amount"),
        ("data.addon.coverage.countries", "data.addon.coverage.countries"),
    ])
    func duplicateKeyIsInvalidNamingItsPath(_ path: String, _ field: String) throws {
        let body = Self.duplicating(path, in: Self.created)
        let failure = try #require(Self.failure(body.jsonBytes))
        #expect(failure.httpStatus == 422)
        #expect(failure.errorType == "invalid")
        #expect(failure.code == DecodingFailure.Code.duplicateKey)
        #expect(failure.field == field)
        #expect(failure.message.contains(field) && failure.hint?.contains(field) == true)
        #expect(throws: failure) { try EventDecoder.decode(envelope: body) }
    }

    @Test func duplicateKeyInAnArrayElementAndInALargeObject() throws {
        let items = Self.duplicating("data.lineItems[1].amount", in: Self.invoice)
        #expect(Self.failure(items.jsonBytes)?.field == "data.lineItems[1].amount")
        var members = (0..<40).map { JSONMember("k\($0)", .int($0)) }
        members.append(JSONMember("k3", 0))
        let large = Self.created.replacing("data.addon.allowances", with: .object(members))
        #expect(Self.failure(large.jsonBytes)?.field == "data.addon.allowances.k3")
        #expect(Self.failure(large.jsonBytes)?.code == DecodingFailure.Code.duplicateKey)
    }

    @Test func nestingDeeperThan64StaysMalformed() {
        let deep = (0..<70).reduce(JSONValue.null) { inner, _ in [inner] }
        let body = Self.created.replacing("data.addon.extra", with: deep)
        #expect(Self.failure(body.jsonBytes)?.httpStatus == 400)
    }

    /// A body with a duplicate key and `\u0000` reports whichever comes first in the document.
    @Test func firstHazardInDocumentOrderWins() throws {
        let both = Self.duplicating("id", in: Self.created).replacing("data.addon.name", with: "x\u{0}")
        #expect(Self.failure(both.jsonBytes)?.code == DecodingFailure.Code.duplicateKey)
    }

    /// `base` with the member at `path` repeated right after itself.
    static func duplicating(_ path: String, in base: JSONValue) -> JSONValue {
        var parts = path.split(separator: ".").map(String.init)
        let key = parts.removeLast()
        let parentPath = parts.joined(separator: ".")
        func duplicate(_ object: JSONValue) -> JSONValue {
            guard case .object(var members) = object, let i = members.firstIndex(where: { $0.key == key }) else {
                fatalError("no \(key) in \(object)")
            }
            members.insert(members[i], at: i + 1)
            return .object(members)
        }
        if parentPath.isEmpty { return duplicate(base) }
        return base.replacing(parentPath, with: duplicate(value(at: parentPath, in: base)))
    }

    static func value(at path: String, in value: JSONValue) -> JSONValue {
        var current = value
        for part in path.split(separator: ".") {
            var name = Substring(part)
            var index: Int?
            if let open = name.firstIndex(of: "[") {
                index = Int(name[name.index(after: open)..<name.index(before: name.endIndex)])
                name = name[..<open]
            }
            current = current[String(name)]!
            if let index { current = current.arrayValue![index] }
        }
        return current
    }
}
