/// The add-on as it was when attached (`data.addon` of the earliest `subscriptionAddon.created`):
/// the typed fields the lifecycle needs, plus the raw object for the API to return verbatim.
public struct AddonSnapshot: Sendable, Hashable, Codable {
    public var id: String
    public var activationTrigger: ActivationTrigger
    /// nil: validity is tied to the subscription period.
    public var validity: Validity?
    /// nil: inherits the plan's coverage, so every country matches.
    public var coverage: Coverage?
    public var price: Price
    /// `data.addon` as compact JSON text (`JSONValue.jsonString`): one allocation per snapshot
    /// instead of a tree, because replay holds every snapshot of a log in memory. Comparing it
    /// compares the add-on byte for byte.
    public private(set) var rawText: String

    /// The add-on object as received (member order and number literals kept).
    public var raw: JSONValue {
        get {
            // rawText is always a compact serialization, which parses; deep or duplicate-keyed
            // values built in code come back as they went in.
            (try? JSONParser.parseNotingHazards(Array(rawText.utf8), maxDepth: JSONValue.codableMaxDepth).value) ?? .null
        }
        set { rawText = newValue.jsonString }
    }

    public init(
        id: String, activationTrigger: ActivationTrigger, validity: Validity?,
        coverage: Coverage?, price: Price, raw: JSONValue
    ) {
        self.init(id: id, activationTrigger: activationTrigger, validity: validity, coverage: coverage,
                  price: price, rawText: raw.jsonString)
    }

    init(
        id: String, activationTrigger: ActivationTrigger, validity: Validity?,
        coverage: Coverage?, price: Price, rawText: String
    ) {
        self.id = id
        self.activationTrigger = activationTrigger
        self.validity = validity
        self.coverage = coverage
        self.price = price
        self.rawText = rawText
    }

    /// Stored under `raw` as its JSON text, the form `JSONValue`'s `Codable` wrote before.
    enum CodingKeys: String, CodingKey {
        case id, activationTrigger, validity, coverage, price, rawText = "raw"
    }

    /// Whether a latch or usage in `country` can activate this add-on.
    public func covers(country: String) -> Bool {
        coverage?.covers(country) ?? true
    }
}
