import Lifecycle

extension AddonSnapshot {
    /// The add-on object as received (member order and number literals kept).
    public var raw: JSONValue {
        get {
            // rawText is always a compact serialization, which parses; deep or duplicate-keyed
            // values built in code come back as they went in.
            (try? JSONParser.parseNotingHazards(rawText.utf8, maxDepth: JSONValue.codableMaxDepth).value) ?? .null
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
}
