/// A subscription, scoped by its project: the unit of work and of serialization.
public struct WorkKey: Hashable, Sendable {
    public var project: String
    public var subscription: String

    public init(project: String, subscription: String) {
        self.project = project
        self.subscription = subscription
    }
}
