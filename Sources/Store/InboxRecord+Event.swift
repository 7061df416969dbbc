import Lifecycle
import EventFormat
import Postgres

extension InboxRecord {
    /// The record of a decoded event: the envelope's identity and logical time, the raw body.
    public init(_ event: Event, body: String, headers: PostgresJSONB = PostgresJSONB("{}")) {
        self.init(id: event.id, type: event.type, project: event.project, subscription: event.subscription,
                  time: PostgresTimestamp(event.time), body: body, headers: headers, ignored: event.isIgnored,
                  subscriptionAddon: event.createdAddon)
    }
}
