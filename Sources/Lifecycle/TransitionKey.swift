/// Identity of a recorded transition: each add-on activates at most once and ends at most once.
public struct TransitionKey: Sendable, Hashable, Codable {
    public var subscriptionAddon: String
    public var kind: TransitionKind

    public init(subscriptionAddon: String, kind: TransitionKind) {
        self.subscriptionAddon = subscriptionAddon
        self.kind = kind
    }
}
