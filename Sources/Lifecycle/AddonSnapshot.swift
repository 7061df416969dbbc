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
    public var raw: JSONValue

    public init(
        id: String, activationTrigger: ActivationTrigger, validity: Validity?,
        coverage: Coverage?, price: Price, raw: JSONValue
    ) {
        self.id = id
        self.activationTrigger = activationTrigger
        self.validity = validity
        self.coverage = coverage
        self.price = price
        self.raw = raw
    }

    /// Whether a latch or usage in `country` can activate this add-on.
    public func covers(country: String) -> Bool {
        coverage?.covers(country) ?? true
    }
}
