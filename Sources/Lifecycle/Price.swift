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
