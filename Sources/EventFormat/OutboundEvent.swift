import Lifecycle

/// The body of an outbound message (SPEC §6): the provider's own envelope, with the SPEC §4 object
/// of the add-on as `data`. Built once per outbox entry and sent unchanged to every endpoint and on
/// every attempt, so its signature covers exactly what was recorded.
public enum OutboundEvent {
    public static let source = "addon-lifecycle"

    public static func body(id: String, type: String, time: Instant, project: String, state: AddonState) -> String {
        JSONValue.object([
            JSONMember("object", "event"),
            JSONMember("id", .string(id)),
            JSONMember("type", .string(type)),
            JSONMember("time", .string(time.rfc3339)),
            JSONMember("project", .string(project)),
            JSONMember("specversion", "1.0"),
            JSONMember("source", .string(source)),
            JSONMember("datacontenttype", "application/json"),
            JSONMember("data", state.json),
        ]).jsonString
    }
}

extension OutboxEntry.Kind {
    /// The outbound event type.
    public var eventType: String {
        switch self {
        case .activated: EventType.subscriptionAddonActivated
        case .ended: EventType.subscriptionAddonEnded
        case .updated: EventType.subscriptionAddonUpdated
        }
    }

    /// Every outbound event type (what `eventTypes` of an endpoint may name).
    public static let eventTypes = allCases.map(\.eventType)
}
