/// Why an add-on ended. Declared in tie-break order: when several end causes fall on the same
/// instant, expiry/periodEnded wins, then subscriptionEnded, then canceled (SPEC §3).
public enum EndReason: String, Sendable, Hashable, Codable, CaseIterable {
    case expired, periodEnded, subscriptionEnded, canceled
}
