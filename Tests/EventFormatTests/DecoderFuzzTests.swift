import Foundation
import Lifecycle
import EventFormat
import LifecycleFixtures
import Replay
import Testing

/// Time-bounded fuzzing of the envelope decoder (FUZZ_SECONDS, default 10; the seed is printed so a
/// failure can be replayed with FUZZ_SEED). Valid events of every type are mutated byte-wise and
/// token-wise; whatever comes out, the decoder answers with an event that keeps the ingest's
/// promises or with a typed 400/422 failure, never a trap, and the same input always gets the same answer,
/// with or without an `AddonCatalog`.
@Suite struct DecoderFuzzTests {
    static let seeds: [[UInt8]] = [
        Fixture.created("evt_01", at: "2025-12-15T10:30:00Z", sad: "sad_1", addon: Fixture.asiaPacific10GB),
        Fixture.created("evt_02", at: "2025-12-15T10:30:00Z", sad: "sad_2", addon: Fixture.roamingTopUp),
        Fixture.invoicePaid("evt_03", at: "2025-12-15T10:31:00Z", sads: ["sad_1", "sad_2"]),
        Fixture.latched("evt_04", at: "2025-12-16T08:00:00Z", country: "DE"),
        Fixture.usageStarted("evt_05", at: "2025-12-16T08:00:00Z", country: "JP"),
        Fixture.periodEnded("evt_06", at: "2026-01-01T00:00:00Z", number: 1, start: "2025-12-01T00:00:00Z", end: "2026-01-01T00:00:00Z"),
        Fixture.renewed("evt_07", at: "2026-01-01T00:00:00Z", number: 2, start: "2026-01-01T00:00:00Z", end: "2026-02-01T00:00:00Z"),
        Fixture.canceled("evt_08", at: "2025-12-17T00:00:00Z", sad: "sad_1"),
        Fixture.subscriptionEnded("evt_09", at: "2025-12-20T00:00:00Z"),
    ].map(\.jsonBytes)

    static let tokens: [[UInt8]] = [
        "null", "true", "0", "-0", "1e999", "-1", "1.5", "99999999999999999999", "\"\"", "\"x\"", "{}", "[]", "[[[[", "}}}}",
        "\"\\u0000\"", "\"\\ud800\"", "\"é\"", ",", ":", "\"id\":1,", "\"time\":\"2025-02-30T00:00:00Z\"",
    ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0x00]]

    static func mutate(_ seed: [UInt8], using rng: inout SplitMix) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            guard !bytes.isEmpty else { return tokens.randomElement(using: &rng)! }
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0...5, using: &rng) {
            case 0: bytes[at] = UInt8.random(in: 0...255, using: &rng)
            case 1: bytes.remove(at: at)
            case 2: bytes.insert(contentsOf: tokens.randomElement(using: &rng)!, at: at)
            case 3:
                // Replace a value: from here to the next separator.
                let end = bytes[at...].firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "}") || $0 == UInt8(ascii: "]") } ?? bytes.count
                bytes.replaceSubrange(at..<end, with: tokens.randomElement(using: &rng)!)
            case 4:
                // Duplicate a chunk (duplicate keys, repeated members).
                let end = min(bytes.count, at + Int.random(in: 1...40, using: &rng))
                bytes.insert(contentsOf: Array(bytes[at..<end]), at: end)
            default:
                bytes = Array(bytes[..<at])
            }
        }
        return bytes
    }

    @Test func theDecoderKeepsItsPromisesOnMutatedEvents() throws {
        let seconds = ProcessInfo.processInfo.environment["FUZZ_SECONDS"].flatMap(Double.init) ?? 10
        let seed = ProcessInfo.processInfo.environment["FUZZ_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: .min ... .max)
        print("DecoderFuzzTests: FUZZ_SEED=\(seed), \(seconds) s")
        var rng = SplitMix(seed: seed)
        let deadline = Date().addingTimeInterval(seconds)
        var runs = 0
        var accepted = 0
        let catalog = AddonCatalog()
        while Date() < deadline || runs < 1_000 {
            runs += 1
            let input = Self.mutate(Self.seeds.randomElement(using: &rng)!, using: &rng)
            let first = Result { () throws(DecodingFailure) -> Event in try EventDecoder.decode(input) }
            // Again through the catalog replay uses, shared by all inputs: a snapshot it hands
            // back must be exactly the one a fresh decode builds, and no error may be skipped.
            let second = Result { () throws(DecodingFailure) -> Event in try EventDecoder.decode(input, addons: catalog) }
            switch (first, second) {
            case (.success(let event), .success(let again)):
                accepted += 1
                #expect(event == again)
                // What ingest relies on for an accepted event.
                #expect(!event.id.isEmpty && event.id.utf8.count <= EventDecoder.maxIdentifierLength)
                #expect(event.id.utf8.allSatisfy { (0x21...0x7E).contains($0) }, "\(String(decoding: input, as: UTF8.self))")
                #expect(!event.project.isEmpty)
                #expect(Instant.rfc3339Range.contains(event.time))
                #expect(event.isIgnored || event.subscription != nil)
            case (.failure(let failure), .failure(let again)):
                #expect(failure == again)
                #expect([400, 422].contains(failure.httpStatus), "\(failure)")
            default:
                Issue.record("the same input decoded differently: \(String(decoding: input, as: UTF8.self))")
            }
        }
        print("DecoderFuzzTests: \(runs) inputs, \(accepted) decoded to events")
        #expect(runs >= 1_000)
    }
}
