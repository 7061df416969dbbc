import Lifecycle
/// A validated event envelope: what facts are derived from. The body itself is stored and
/// exported as received, so the decoded event keeps only the fields the lifecycle reads.
public struct Event: Sendable, Hashable {
    public var id: String
    /// The raw `type` string, also for ignored types.
    public var type: String
    /// When the thing happened (the state machine's clock, not arrival time).
    public var time: Instant
    public var project: String
    /// The subscription the event belongs to: `data.subscription`, or `data.id` for
    /// `subscription.renewed` / `subscription.ended`; nil for ignored types.
    public var subscription: String?
    public var payload: EventPayload

    public init(id: String, type: String, time: Instant, project: String, payload: EventPayload) {
        self.id = id
        self.type = type
        self.time = time
        self.project = project
        self.subscription = payload.subscription
        self.payload = payload
    }

    public var eventType: EventType? { EventType(rawValue: type) }

    /// True for types the lifecycle does not know: stored, answered `ignored`, never folded.
    public var isIgnored: Bool {
        if case .ignored = payload { return true }
        return false
    }
}

extension Event {
    /// The add-on a `subscriptionAddon.created` event attaches; nil for other types.
    public var createdAddon: String? {
        if case .addonCreated(let created) = payload { return created.subscriptionAddon }
        return nil
    }
}
