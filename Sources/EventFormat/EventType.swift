import Lifecycle

/// The event types the lifecycle understands. Anything else is stored and marked ignored.
public enum EventType: String, Sendable, Hashable, Codable, CaseIterable {
    case subscriptionAddonCreated = "com.gigs.subscriptionAddon.created"
    case invoicePaid = "com.gigs.invoice.paid"
    case networkLatched = "com.gigs.network.latched"
    case usageStarted = "com.gigs.usage.started"
    case subscriptionPeriodEnded = "com.gigs.subscription.periodEnded"
    case subscriptionRenewed = "com.gigs.subscription.renewed"
    case subscriptionAddonCanceled = "com.gigs.subscriptionAddon.canceled"
    case subscriptionEnded = "com.gigs.subscription.ended"

    /// The type spelled by these bytes, compared without building a String (the decoder reads
    /// a type per event).
    init?(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        guard let match = Self.allCases.first(where: { $0.rawValue.utf8Equals(UnsafeRawBufferPointer(bytes)) }) else { return nil }
        self = match
    }

    /// Types of the transitions the workers append to the outbox.
    public static let subscriptionAddonActivated = "com.gigs.subscriptionAddon.activated"
    public static let subscriptionAddonEnded = "com.gigs.subscriptionAddon.ended"
    /// A correction of an add-on already announced (SPEC §6).
    public static let subscriptionAddonUpdated = "com.gigs.subscriptionAddon.updated"
}

extension TransitionKind {
    /// The outbox event type.
    public var eventType: String {
        switch self {
        case .activated: return EventType.subscriptionAddonActivated
        case .ended: return EventType.subscriptionAddonEnded
        }
    }
}
