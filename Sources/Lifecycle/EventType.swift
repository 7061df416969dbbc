import Foundation

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
        guard let base = bytes.baseAddress, let match = Self.spellings.first(where: { spelling in
            spelling.utf8.count == bytes.count && spelling.utf8.withUnsafeBufferPointer { memcmp($0.baseAddress!, base, bytes.count) == 0 }
        }) else { return nil }
        self = match.type
    }

    private static let spellings: [(type: EventType, utf8: [UInt8])] = allCases.map { ($0, Array($0.rawValue.utf8)) }

    /// Types of the transitions the workers append to the outbox.
    public static let subscriptionAddonActivated = "com.gigs.subscriptionAddon.activated"
    public static let subscriptionAddonEnded = "com.gigs.subscriptionAddon.ended"
}
