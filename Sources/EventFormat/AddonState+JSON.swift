import Lifecycle
extension AddonState {
    /// The SPEC §4 `subscriptionAddon` object, built here so the API, the stored state and
    /// `replay --format json` print the same JSON for the same state.
    public var json: JSONValue {
        Self.subscriptionAddonObject(
            id: id, addon: addon.raw, subscription: subscription, status: status, createdAt: createdAt,
            activatedAt: activatedAt, currentPeriod: currentPeriod, endedAt: endedAt, canceledAt: canceledAt, endReason: endReason)
    }

    /// The object from its fields, for callers that hold the stored columns rather than a state.
    /// `currentPeriod` is shown only while active.
    public static func subscriptionAddonObject(
        id: String, addon: JSONValue, subscription: String, status: AddonStatus, createdAt: Instant, activatedAt: Instant?,
        currentPeriod: Period?, endedAt: Instant?, canceledAt: Instant?, endReason: EndReason?
    ) -> JSONValue {
        func instant(_ value: Instant?) -> JSONValue { value.map { .string($0.rfc3339) } ?? .null }
        let period: JSONValue = status == .active ? currentPeriod.map {
            ["number": .int($0.number), "start": .string($0.start.rfc3339), "end": instant($0.end)]
        } ?? .null : .null
        return [
            "object": "subscriptionAddon",
            "id": .string(id),
            "addon": addon,
            "subscription": .string(subscription),
            "status": .string(status.rawValue),
            "createdAt": .string(createdAt.rfc3339),
            "activatedAt": instant(activatedAt),
            "currentPeriod": period,
            "endedAt": instant(endedAt),
            "canceledAt": instant(canceledAt),
            "endReason": endReason.map { .string($0.rawValue) } ?? .null,
        ]
    }
}
