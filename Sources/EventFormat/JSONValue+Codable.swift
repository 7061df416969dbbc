import Lifecycle
/// Lets typed values that embed raw JSON (add-on snapshots, envelopes) be `Codable` too.
///
/// A `JSONValue` is encoded as one string: its compact JSON text (`jsonString`), and decoded by
/// parsing that text. `Codable` has no raw-number channel and keyed containers do not keep key
/// order, so encoding the structure would reorder keys, round big integers through `Double` and
/// fail on `1e400`; the text keeps everything exact, byte for byte.
extension JSONValue: Codable {
    /// Deeper than the ingest limit, so values built in code round-trip too.
    static let codableMaxDepth = 512

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            // Duplicate keys kept, like `encode` wrote them: exact round trip, no judgement.
            self = try JSONParser.parseNotingHazards(Array(text.utf8), maxDepth: Self.codableMaxDepth).value
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON text: \(error)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(jsonString)
    }
}
