/// What starts an add-on's validity countdown (`addon.activationTrigger`).
public enum ActivationTrigger: String, Sendable, Hashable, Codable, CaseIterable {
    case creation, networkLatch, usageStarted
}
