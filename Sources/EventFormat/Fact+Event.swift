import Lifecycle

extension Fact {
    /// The fact of an event; nil for ignored types.
    public init?(event: consuming Event) {
        let id = event.id
        switch event.payload {
        case .addonCreated(let p):
            self.init(eventID: id, time: event.time, subscription: p.subscription,
                      kind: .addonCreated(subscriptionAddon: p.subscriptionAddon, addon: p.addon))
        case .invoicePaid(let p):
            self.init(eventID: id, time: event.time, subscription: p.subscription,
                      kind: .invoicePaid(invoice: p.invoice, subscriptionAddons: p.subscriptionAddons))
        case .networkLatched(let p):
            self.init(eventID: id, time: event.time, subscription: p.subscription,
                      kind: .networkLatched(country: p.country))
        case .usageStarted(let p):
            self.init(eventID: id, time: event.time, subscription: p.subscription,
                      kind: .usageStarted(country: p.country))
        case .periodEnded(let p):
            self.init(eventID: id, time: p.period.end, subscription: p.subscription,
                      kind: .periodEnded(number: p.period.number, start: p.period.start, end: p.period.end))
        case .subscriptionRenewed(let p):
            let boundary = p.currentPeriod.start
            self.init(eventID: id, time: boundary, subscription: p.subscription,
                      kind: .periodEnded(number: p.currentPeriod.number - 1, start: nil, end: boundary))
        case .addonCanceled(let p):
            self.init(eventID: id, time: event.time, subscription: p.subscription,
                      kind: .addonCanceled(subscriptionAddon: p.subscriptionAddon))
        case .subscriptionEnded(let p):
            self.init(eventID: id, time: event.time, subscription: p.subscription, kind: .subscriptionEnded)
        case .ignored:
            return nil
        }
    }
}

extension Event {
    /// The lifecycle fact of this event; nil for ignored types.
    public var fact: Fact? { Fact(event: self) }
}
