import Testing
import Lifecycle
import EventFormat
import LifecycleFixtures

/// Identifiers are printable ASCII so that Swift (canonical equivalence) and PostgreSQL (bytes)
/// agree on which ids are equal.
@Suite struct IdentifierTests {
    /// Every identifier field of SPEC §2, in a valid body of its event type.
    static let fields: [(JSONValue, String)] = [
        (Rejection.created, "id"),
        (Rejection.created, "project"),
        (Rejection.created, "data.id"),
        (Rejection.created, "data.subscription"),
        (Rejection.created, "data.addon.id"),
        (Rejection.invoice, "data.id"),
        (Rejection.invoice, "data.subscription"),
        (Rejection.invoice, "data.lineItems[1].subscriptionAddon"),
        (Rejection.latched, "data.subscription"),
        (Rejection.usage, "data.subscription"),
        (Rejection.period, "data.subscription"),
        (Rejection.renewed, "data.id"),
        (Rejection.canceled, "data.id"),
        (Rejection.canceled, "data.subscription"),
        (Rejection.ended, "data.id"),
    ]

    static let badValues: [String] = [
        "evt_\u{e9}", "evt_e\u{301}", "sub 1", "sub\u{7F}", "sub\u{1}", "sad_\u{A0}", "😀",
        String(repeating: "e", count: 256),
    ]

    @Test func nonPrintableOrNonASCIIIdentifiersAreInvalid() throws {
        for (base, path) in Self.fields {
            for bad in Self.badValues {
                let body = base.replacing(path, with: .string(bad))
                let failure = #expect(throws: DecodingFailure.self, "\(path) = \(bad)") { try EventDecoder.decode(body.jsonBytes) }
                #expect(failure?.httpStatus == 422)
                #expect(failure?.code == DecodingFailure.Code.invalidValue)
                #expect(failure?.field == path)
                #expect(failure?.hint?.contains("printable ASCII") == true)
                #expect(failure?.hint?.contains(path) == true)
            }
        }
    }

    /// The defect: these are one id for Swift and two for PostgreSQL, so arrival order would
    /// decide whether the second is a duplicate. Neither may get in.
    @Test func canonicallyEquivalentSpellingsAreBothRefused() {
        let precomposed = "evt_\u{e9}"
        let decomposed = "evt_e\u{301}"
        #expect(precomposed == decomposed)
        #expect(Array(precomposed.utf8) != Array(decomposed.utf8))
        for id in [precomposed, decomposed] {
            let body = Fixture.subscriptionEnded(id, at: "2025-12-18T00:00:00Z")
            #expect(throws: DecodingFailure.self) { try EventDecoder.decode(body.jsonBytes) }
        }
    }

    @Test func everyPrintableASCIIByteAndTheLengthLimitAreAccepted() throws {
        let printable = String(decoding: Array(0x21...0x7E) as [UInt8], as: UTF8.self)
        for id in [printable, "!", "~", String(repeating: "~", count: 255)] {
            let event = try Fixture.event(Fixture.subscriptionEnded(id, at: "2025-12-18T00:00:00Z", subscription: id))
            #expect(event.id == id)
            #expect(event.subscription == id)
        }
    }

    /// `type` is not an identifier: any string, unknown ones are just ignored.
    @Test func typeIsAnyString() throws {
        for type in ["", "com.gigs.some thing", "évènement", String(repeating: "t", count: 10_000)] {
            let event = try Fixture.event(Fixture.envelope(id: "evt_1", type: type, time: "2025-12-15T10:30:00Z", data: [:]))
            #expect(event.isIgnored)
            #expect(event.type == type)
        }
    }
}
