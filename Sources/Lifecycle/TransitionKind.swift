/// The two transitions the workers record in the outbox.
public enum TransitionKind: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case activated, ended

    /// The outbox event type.
    public var eventType: String {
        switch self {
        case .activated: return EventType.subscriptionAddonActivated
        case .ended: return EventType.subscriptionAddonEnded
        }
    }

    public static func < (a: TransitionKind, b: TransitionKind) -> Bool {
        a == .activated && b == .ended
    }
}
