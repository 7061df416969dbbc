import Postgres

/// One accepted webhook, as the inbox stores it.
public struct InboxRecord: Sendable {
    public var id: String
    public var type: String
    public var project: String
    /// Nil for event types that name no subscription (they are stored as `ignored`).
    public var subscription: String?
    /// Logical time: the envelope's `time`.
    public var time: PostgresTimestamp
    /// The raw body, byte for byte (validated UTF-8 by the decoder).
    public var body: String
    /// Audit headers (signature id/timestamp, user agent), as a JSON object.
    public var headers: PostgresJSONB
    /// True for types the lifecycle does not use: stored as `ignored`, no work scheduled.
    public var ignored: Bool
    /// The add-on a `subscriptionAddon.created` event attaches (it claims the add-on for its
    /// subscription); nil for every other type.
    public var subscriptionAddon: String?

    public init(id: String, type: String, project: String, subscription: String?, time: PostgresTimestamp,
                body: String, headers: PostgresJSONB, ignored: Bool, subscriptionAddon: String? = nil) {
        self.id = id
        self.type = type
        self.project = project
        self.subscription = subscription
        self.time = time
        self.body = body
        self.headers = headers
        self.ignored = ignored
        self.subscriptionAddon = subscriptionAddon
    }
}
