import EventFormat
import Lifecycle

/// Realistic webhook bodies mirroring SPEC §2 and the provider's add-on docs (seed 002), plus the
/// helpers the tests share. Every fact in a scenario goes through the real decoder.
public enum Fixture {
    public static let project = "gigs"
    public static let subscription = "sub_0SNlurA049MEWV2gSfSxi00xlPIi"
    public static let otherSubscription = "sub_0SNlurA049MEWV2gSfSxi00zzzzz"

    // MARK: Add-ons from the seed tutorials

    public static let japan5GB: JSONValue = [
        "object": "addon", "id": "add_japan_5gb", "name": "Japan 5GB", "type": "topUp",
        "activationTrigger": "usageStarted",
        "coverage": ["object": "coverage", "id": "cp_japan", "countries": ["JP"], "name": "Japan"],
        "validity": ["unit": "day", "value": 14],
        "allowances": ["dataBytes": 5_000_000_000, "voiceSeconds": nil, "smsMessages": nil],
        "price": ["amount": 1499, "currency": "USD"],
    ]

    public static let asiaPacific10GB: JSONValue = [
        "object": "addon", "id": "add_apac_10gb", "name": "Asia Pacific 10GB", "type": "topUp",
        "activationTrigger": "usageStarted",
        "coverage": [
            "object": "coverage", "id": "cp_apac", "countries": ["JP", "KR", "TH", "SG", "MY"],
            "name": "Asia Pacific",
        ],
        "validity": ["unit": "day", "value": 30],
        "allowances": ["dataBytes": 10_000_000_000, "voiceSeconds": nil, "smsMessages": nil],
        "price": ["amount": 2999, "currency": "USD"],
    ]

    public static let europeWeekPass: JSONValue = [
        "object": "addon", "id": "add_0SNlurA049MEWV3V0q7gjQbM4EVo", "name": "1GB Europe Week Pass",
        "type": "topUp", "activationTrigger": "networkLatch",
        "coverage": [
            "object": "coverage", "id": "cp_europe_zone_1",
            "countries": ["DE", "FR", "IT", "ES", "PL", "NL"], "name": "Europe Zone 1",
        ],
        "validity": ["unit": "day", "value": 7],
        "allowances": ["dataBytes": 1_000_000_000, "voiceSeconds": nil, "smsMessages": nil],
        "price": ["amount": 499, "currency": "USD"],
    ]

    /// The guide's "5GB Worldwide": no coverage of its own (the plan's), so the lowest priority.
    public static let worldwide5GB: JSONValue = [
        "object": "addon", "id": "add_worldwide_5gb", "name": "5GB Worldwide", "type": "topUp",
        "activationTrigger": "creation", "coverage": nil,
        "validity": ["unit": "day", "value": 7],
        "allowances": ["dataBytes": 5_000_000_000, "voiceSeconds": nil, "smsMessages": nil],
        "price": ["amount": 1999, "currency": "USD"],
    ]

    /// A free top-up that activates on creation (no invoice needed).
    public static let freeTopUp: JSONValue = addon(id: "add_free_1gb", trigger: "creation", validity: ["unit": "day", "value": 3], price: 0)

    /// The seed's "Roaming Add-On": no coverage, validity tied to the subscription period.
    public static let roamingTopUp: JSONValue = addon(id: "add_0SNlurA049MEWV4VxLfwJc7PJtHc", trigger: "creation", validity: nil, price: 999)

    public static func addon(
        id: String = "add_test", trigger: String = "creation", validity: JSONValue = ["unit": "day", "value": 7],
        coverage: JSONValue = nil, price: Int64 = 999
    ) -> JSONValue {
        [
            "object": "addon", "id": .string(id), "name": "Test add-on", "type": "topUp",
            "activationTrigger": .string(trigger), "coverage": coverage, "validity": validity,
            "allowances": ["dataBytes": 1_000_000_000, "voiceSeconds": nil, "smsMessages": nil],
            "price": ["amount": .number(JSONNumber(price)), "currency": "USD"],
        ]
    }

    // MARK: Envelopes

    public static func envelope(id: String, type: String, time: String, data: JSONValue) -> JSONValue {
        [
            "object": "event", "id": .string(id), "type": .string(type), "time": .string(time),
            "project": .string(project), "specversion": "1.0", "source": "https://api.gigs.com",
            "datacontenttype": "application/json", "data": data,
        ]
    }

    public static func created(
        _ id: String, at time: String, sad: String, addon: JSONValue, subscription: String = subscription
    ) -> JSONValue {
        envelope(id: id, type: "com.gigs.subscriptionAddon.created", time: time, data: [
            "object": "subscriptionAddon", "id": .string(sad), "addon": addon,
            "subscription": .string(subscription), "status": "pending", "currentPeriod": nil,
            "createdAt": .string(time), "activatedAt": nil,
        ])
    }

    public static func invoicePaid(
        _ id: String, at time: String, invoice: String = "inv_0SNlurA049MEWV5gNTcQ5A07h3Ol",
        sads: [String], subscription: String = subscription
    ) -> JSONValue {
        var items: [JSONValue] = [["object": "lineItem", "description": "Plan fee", "amount": 1000]]
        for sad in sads {
            items.append(["object": "lineItem", "subscriptionAddon": .string(sad), "amount": 1499])
        }
        return envelope(id: id, type: "com.gigs.invoice.paid", time: time, data: [
            "object": "invoice", "id": .string(invoice), "subscription": .string(subscription),
            "status": "paid", "lineItems": .array(items),
        ])
    }

    public static func latched(_ id: String, at time: String, country: String, subscription: String = subscription) -> JSONValue {
        envelope(id: id, type: "com.gigs.network.latched", time: time, data: [
            "subscription": .string(subscription), "country": .string(country), "provider": "p15",
        ])
    }

    public static func usageStarted(_ id: String, at time: String, country: String, subscription: String = subscription) -> JSONValue {
        envelope(id: id, type: "com.gigs.usage.started", time: time, data: [
            "subscription": .string(subscription), "country": .string(country), "kind": "data",
        ])
    }

    public static func periodEnded(
        _ id: String, at time: String, number: Int, start: String, end: String, subscription: String = subscription
    ) -> JSONValue {
        envelope(id: id, type: "com.gigs.subscription.periodEnded", time: time, data: [
            "subscription": .string(subscription),
            "period": ["number": .int(number), "start": .string(start), "end": .string(end)],
        ])
    }

    public static func renewed(
        _ id: String, at time: String, number: Int, start: String, end: String, subscription: String = subscription
    ) -> JSONValue {
        envelope(id: id, type: "com.gigs.subscription.renewed", time: time, data: [
            "object": "subscription", "id": .string(subscription), "status": "active",
            "currentPeriod": ["number": .int(number), "start": .string(start), "end": .string(end)],
        ])
    }

    public static func canceled(_ id: String, at time: String, sad: String, subscription: String = subscription) -> JSONValue {
        envelope(id: id, type: "com.gigs.subscriptionAddon.canceled", time: time, data: [
            "object": "subscriptionAddon", "id": .string(sad), "subscription": .string(subscription),
            "status": "ended",
        ])
    }

    public static func subscriptionEnded(_ id: String, at time: String, subscription: String = subscription) -> JSONValue {
        envelope(id: id, type: "com.gigs.subscription.ended", time: time, data: [
            "object": "subscription", "id": .string(subscription), "status": "ended",
        ])
    }

    // MARK: Decoding helpers

    /// Serializes and decodes through the real byte path, as the ingest would.
    public static func event(_ envelope: JSONValue) throws -> Event {
        try EventDecoder.decode(envelope.jsonBytes)
    }

    public static func facts(_ envelopes: [JSONValue]) throws -> [Fact] {
        try envelopes.compactMap { try event($0).fact }
    }
}

/// `t("2025-12-15T10:30:00Z")`: an instant that must parse.
public func t(_ text: String) -> Instant {
    guard let instant = Instant(rfc3339: text) else { fatalError("bad test timestamp \(text)") }
    return instant
}

extension JSONValue {
    /// A copy with the value at a dotted path (`data.lineItems[1].subscriptionAddon`) replaced,
    /// or removed when `newValue` is nil. Used to derive every invalid body from a valid one.
    public func replacing(_ path: String, with newValue: JSONValue?) -> JSONValue {
        var components: [PathStep] = []
        for part in path.split(separator: ".") {
            var name = Substring(part)
            var indexes: [Int] = []
            while let open = name.lastIndex(of: "[") {
                indexes.insert(Int(name[name.index(after: open)..<name.index(before: name.endIndex)])!, at: 0)
                name = name[..<open]
            }
            components.append(.key(String(name)))
            components += indexes.map(PathStep.index)
        }
        return replacing(components[...], with: newValue)
    }

    private enum PathStep {
        case key(String)
        case index(Int)
    }

    private func replacing(_ path: ArraySlice<PathStep>, with newValue: JSONValue?) -> JSONValue {
        guard let step = path.first else { return newValue ?? .null }
        let rest = path.dropFirst()
        switch (self, step) {
        case (.object(var members), .key(let key)):
            if let i = members.firstIndex(where: { $0.key == key }) {
                if rest.isEmpty, newValue == nil {
                    members.remove(at: i)
                } else {
                    members[i].value = members[i].value.replacing(rest, with: newValue)
                }
            } else if let newValue, rest.isEmpty {
                members.append(JSONMember(key, newValue))
            }
            return .object(members)
        case (.array(var elements), .index(let i)):
            if rest.isEmpty, newValue == nil {
                elements.remove(at: i)
            } else {
                elements[i] = elements[i].replacing(rest, with: newValue)
            }
            return .array(elements)
        default:
            fatalError("path does not match the fixture")
        }
    }
}
