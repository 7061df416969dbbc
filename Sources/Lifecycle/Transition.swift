/// One entry for the append-only transition log, at its logical time (not the worker's clock).
public struct Transition: Sendable, Hashable, Codable {
    public var subscriptionAddon: String
    public var subscription: String
    public var kind: TransitionKind
    /// `activatedAt` or `endedAt`.
    public var at: Instant
    /// Set for `.ended` only.
    public var reason: EndReason?

    public init(subscriptionAddon: String, subscription: String, kind: TransitionKind, at: Instant, reason: EndReason?) {
        self.subscriptionAddon = subscriptionAddon
        self.subscription = subscription
        self.kind = kind
        self.at = at
        self.reason = reason
    }

    public var key: TransitionKey { TransitionKey(subscriptionAddon: subscriptionAddon, kind: kind) }
}

/// Identity of a recorded transition: each add-on activates at most once and ends at most once.
public struct TransitionKey: Sendable, Hashable, Codable {
    public var subscriptionAddon: String
    public var kind: TransitionKind

    public init(subscriptionAddon: String, kind: TransitionKind) {
        self.subscriptionAddon = subscriptionAddon
        self.kind = kind
    }
}

/// The two transitions the workers record in the outbox.
public enum TransitionKind: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case activated, ended

    public static func < (a: TransitionKind, b: TransitionKind) -> Bool {
        a == .activated && b == .ended
    }
}
