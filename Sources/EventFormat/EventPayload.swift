import Lifecycle
/// The typed `data` of an event, one case per known type; `.ignored` for every other type.
public enum EventPayload: Sendable, Hashable {
    case addonCreated(AddonCreated)
    case invoicePaid(InvoicePaid)
    case networkLatched(NetworkLatched)
    case usageStarted(UsageStarted)
    case periodEnded(PeriodEnded)
    case subscriptionRenewed(SubscriptionRenewed)
    case addonCanceled(AddonCanceled)
    case subscriptionEnded(SubscriptionEnded)
    case ignored

    /// The subscription this event belongs to (nil for ignored types).
    public var subscription: String? {
        switch self {
        case .addonCreated(let p): return p.subscription
        case .invoicePaid(let p): return p.subscription
        case .networkLatched(let p): return p.subscription
        case .usageStarted(let p): return p.subscription
        case .periodEnded(let p): return p.subscription
        case .subscriptionRenewed(let p): return p.subscription
        case .addonCanceled(let p): return p.subscription
        case .subscriptionEnded(let p): return p.subscription
        case .ignored: return nil
        }
    }
}

/// `com.gigs.subscriptionAddon.created`
public struct AddonCreated: Sendable, Hashable {
    public var subscriptionAddon: String
    public var subscription: String
    public var addon: AddonSnapshot

    public init(subscriptionAddon: String, subscription: String, addon: AddonSnapshot) {
        self.subscriptionAddon = subscriptionAddon
        self.subscription = subscription
        self.addon = addon
    }
}

/// `com.gigs.invoice.paid`: only line items naming a subscription add-on matter.
public struct InvoicePaid: Sendable, Hashable {
    public var invoice: String
    public var subscription: String
    public var subscriptionAddons: [String]

    public init(invoice: String, subscription: String, subscriptionAddons: [String]) {
        self.invoice = invoice
        self.subscription = subscription
        self.subscriptionAddons = subscriptionAddons
    }
}

/// `com.gigs.network.latched`
public struct NetworkLatched: Sendable, Hashable {
    public var subscription: String
    public var country: String
    public var provider: String?

    public init(subscription: String, country: String, provider: String? = nil) {
        self.subscription = subscription
        self.country = country
        self.provider = provider
    }
}

/// `com.gigs.usage.started`
public struct UsageStarted: Sendable, Hashable {
    public var subscription: String
    public var country: String
    /// `data`, `voice` or `sms` when sent; informational only.
    public var kind: String?

    public init(subscription: String, country: String, kind: String? = nil) {
        self.subscription = subscription
        self.country = country
        self.kind = kind
    }
}

/// `com.gigs.subscription.periodEnded`
public struct PeriodEnded: Sendable, Hashable {
    public var subscription: String
    public var period: BillingPeriod

    public init(subscription: String, period: BillingPeriod) {
        self.subscription = subscription
        self.period = period
    }
}

/// `com.gigs.subscription.renewed`: period `currentPeriod.number - 1` ended at `currentPeriod.start`.
public struct SubscriptionRenewed: Sendable, Hashable {
    public var subscription: String
    public var currentPeriod: BillingPeriod

    public init(subscription: String, currentPeriod: BillingPeriod) {
        self.subscription = subscription
        self.currentPeriod = currentPeriod
    }
}

/// `com.gigs.subscriptionAddon.canceled`
public struct AddonCanceled: Sendable, Hashable {
    public var subscriptionAddon: String
    public var subscription: String

    public init(subscriptionAddon: String, subscription: String) {
        self.subscriptionAddon = subscriptionAddon
        self.subscription = subscription
    }
}

/// `com.gigs.subscription.ended`
public struct SubscriptionEnded: Sendable, Hashable {
    public var subscription: String

    public init(subscription: String) {
        self.subscription = subscription
    }
}
