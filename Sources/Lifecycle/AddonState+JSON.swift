extension AddonState {
    /// The SPEC §4 `subscriptionAddon` object, built here so the API, the stored state and
    /// `replay --format json` print byte-identical JSON for the same state.
    public var json: JSONValue {
        func instant(_ value: Instant?) -> JSONValue { value.map { .string($0.rfc3339) } ?? .null }
        let period: JSONValue = currentPeriod.map {
            ["number": .int($0.number), "start": .string($0.start.rfc3339), "end": instant($0.end)]
        } ?? .null
        return [
            "object": "subscriptionAddon",
            "id": .string(id),
            "addon": addon.raw,
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
