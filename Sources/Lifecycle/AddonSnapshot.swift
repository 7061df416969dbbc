/// The add-on as it was when attached (`data.addon` of the earliest `subscriptionAddon.created`):
/// the typed fields the lifecycle needs, plus the object's compact JSON text for the API to return
/// verbatim (the rules never read it; `EventFormat` parses it as `raw`).
///
/// Immutable but for `raw`, and kept in one shared box: a snapshot is copied into every fact,
/// input, schedule and state of its add-on, and one reference to count per copy is much cheaper
/// than one per field (measured on replay, where the fold copies snapshots millions of times).
public struct AddonSnapshot: Sendable, Hashable, Codable {
    private final class Fields: Sendable {
        let id: String
        let activationTrigger: ActivationTrigger
        let validity: Validity?
        let coverage: Coverage?
        let price: Price
        let rawText: String
        /// `AddonView.hash(rawText)`, taken once per snapshot: outbox views compare add-ons by it.
        let textHash: Int64

        init(id: String, activationTrigger: ActivationTrigger, validity: Validity?, coverage: Coverage?, price: Price, rawText: String) {
            self.id = id
            self.activationTrigger = activationTrigger
            self.validity = validity
            self.coverage = coverage
            self.price = price
            self.rawText = rawText
            self.textHash = AddonView.hash(rawText)
        }
    }

    private var fields: Fields

    public var id: String { fields.id }
    /// A stable hash of `rawText` (FNV-1a): what an outbox view records of the add-on.
    public var textHash: Int64 { fields.textHash }
    public var activationTrigger: ActivationTrigger { fields.activationTrigger }
    /// nil: validity is tied to the subscription period.
    public var validity: Validity? { fields.validity }
    /// nil: inherits the plan's coverage, so every country matches.
    public var coverage: Coverage? { fields.coverage }
    public var price: Price { fields.price }
    /// `data.addon` as compact JSON text: one allocation per snapshot instead of a tree, because
    /// replay holds every snapshot of a log in memory. Comparing it compares the add-on byte for
    /// byte. The caller guarantees it is compact JSON (`EventFormat` builds every snapshot).
    public var rawText: String {
        get { fields.rawText }
        set {
            fields = Fields(id: id, activationTrigger: activationTrigger, validity: validity, coverage: coverage,
                            price: price, rawText: newValue)
        }
    }

    public init(
        id: String, activationTrigger: ActivationTrigger, validity: Validity?,
        coverage: Coverage?, price: Price, rawText: String
    ) {
        fields = Fields(id: id, activationTrigger: activationTrigger, validity: validity, coverage: coverage,
                        price: price, rawText: rawText)
    }

    /// Whether a latch or usage in `country` can activate this add-on.
    public func covers(country: String) -> Bool {
        coverage?.covers(country) ?? true
    }

    public static func == (a: AddonSnapshot, b: AddonSnapshot) -> Bool {
        a.fields === b.fields || (a.id == b.id && a.activationTrigger == b.activationTrigger && a.validity == b.validity
            && a.coverage == b.coverage && a.price == b.price && a.rawText == b.rawText)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(activationTrigger)
        hasher.combine(validity)
        hasher.combine(coverage)
        hasher.combine(price)
        hasher.combine(rawText)
    }

    /// Stored with `raw` as its JSON text (the form `JSONValue`'s `Codable` writes too).
    enum CodingKeys: String, CodingKey {
        case id, activationTrigger, validity, coverage, price, raw
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id),
            activationTrigger: try c.decode(ActivationTrigger.self, forKey: .activationTrigger),
            validity: try c.decodeIfPresent(Validity.self, forKey: .validity),
            coverage: try c.decodeIfPresent(Coverage.self, forKey: .coverage),
            price: try c.decode(Price.self, forKey: .price),
            rawText: try c.decode(String.self, forKey: .raw))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(activationTrigger, forKey: .activationTrigger)
        try c.encodeIfPresent(validity, forKey: .validity)
        try c.encodeIfPresent(coverage, forKey: .coverage)
        try c.encode(price, forKey: .price)
        try c.encode(rawText, forKey: .raw)
    }
}

/// `addon.price`: amount in the currency's smallest unit. A zero amount makes the add-on
/// eligible at creation without any invoice.
public struct Price: Sendable, Hashable, Codable {
    public var amount: Int64
    public var currency: String

    public init(amount: Int64, currency: String) {
        self.amount = amount
        self.currency = currency
    }

    public var isFree: Bool { amount == 0 }
}

/// What starts an add-on's validity countdown (`addon.activationTrigger`).
public enum ActivationTrigger: String, Sendable, Hashable, Codable, CaseIterable {
    case creation, networkLatch, usageStarted
}
