import Lifecycle

extension Allowance {
    /// The SPEC §7 `allowance` object. `addon`, `coverage` and `allowances` come from the add-on
    /// as attached (as sent, numbers included), so what usage draws on reads as the provider wrote it.
    public var json: JSONValue {
        let raw = addon.addon.raw
        return [
            "object": "allowance",
            "priority": .int(priority),
            "scope": .string(scope.rawValue),
            "subscriptionAddon": .string(addon.id),
            "addon": ["id": .string(addon.addon.id), "name": raw["name"] ?? .null],
            "coverage": raw["coverage"] ?? .null,
            "allowances": raw["allowances"] ?? .null,
            "expiresAt": expiresAt.map { .string($0.rfc3339) } ?? .null,
        ]
    }
}
