import Lifecycle
/// Turns a webhook body into a validated `Event`, or a `DecodingFailure` the ingest maps to
/// 400 (`malformed`) or 422 (`invalid`, naming the field). Order of checks, so the first problem
/// reported is stable: JSON syntax and nesting depth (400), then U+0000 and duplicate keys anywhere
/// in the document (422, see `JSONHazard`), then the fields in the order of the SPEC §2 table.
public enum EventDecoder: Sendable {
    /// Upper bound for every identifier (event id, project, sad, subscription, …) in bytes.
    public static let maxIdentifierLength = 255

    @inlinable
    public static func decode(_ body: some Collection<UInt8>, addons: (any AddonSnapshotCache)? = nil) throws(DecodingFailure) -> Event {
        try withContiguousBytes(body) { buffer throws(DecodingFailure) in try decode(buffer, addons: addons) }
    }

    /// `addons`, when given, decodes each distinct `data.addon` once and shares its snapshot
    /// (replay: a log repeats the catalog's few add-ons on every subscription).
    public static func decode(_ body: UnsafeRawBufferPointer, addons: (any AddonSnapshotCache)? = nil) throws(DecodingFailure) -> Event {
        try decode(UnsafeBufferPointer(start: body.baseAddress?.assumingMemoryBound(to: UInt8.self), count: body.count), addons: addons)
    }

    /// The envelope's `id` when the body is a JSON object whose `id` is a string, however invalid
    /// the rest: ingest answers a known id `duplicate` whatever the body (SPEC §2).
    public static func envelopeID(_ body: [UInt8]) -> String? {
        // Duplicate keys kept: a repeated body may carry them, and the first `id` is the one read.
        guard let id = (try? JSONParser.parseNotingHazards(body))?.value["id"]?.stringValue, !id.isEmpty,
              id.utf8.count <= maxIdentifierLength
        else { return nil }
        return id
    }

    public static func decode(_ text: String) throws(DecodingFailure) -> Event {
        try decode(Array(text.utf8))
    }

    /// Validates an already parsed envelope (as its compact text, so exactly like a body).
    public static func decode(envelope: JSONValue) throws(DecodingFailure) -> Event {
        try decode(envelope.jsonBytes)
    }

    /// The whole body is validated in one scan that builds no tree; fields are then read from the
    /// tape and only they become Strings.
    @usableFromInline
    static func decode(_ body: UnsafeBufferPointer<UInt8>, addons: (any AddonSnapshotCache)? = nil) throws(DecodingFailure) -> Event {
        var scanner = JSONScanner(bytes: body, maxDepth: JSONParser.defaultMaxDepth, keepsDuplicateKeys: true)
        let tape: JSONTape
        do {
            tape = try scanner.scanDocument()
        } catch {
            throw .malformed(message: "The body is not valid JSON: \(error).")
        }
        guard tape.kind(JSONTape.root) == .object else {
            throw .malformed(message: "The body is JSON but not an object; expected an event envelope.")
        }
        // Only a document with a `\u0000` or a duplicate key needs the walk that finds its path.
        if scanner.sawNUL || scanner.sawDuplicateKey, let failure = JSONHazard.first(in: tape.value(at: JSONTape.root)) {
            throw failure
        }
        let root = FieldReader(tape: tape, object: JSONTape.root)
        let id = try root.identifier("id")
        // Not an identifier: any string; unknown types are stored and ignored.
        let typeNode = try root.stringNode("type")
        // A known type takes its constant spelling: no String built per event.
        let known = tape.nodes[typeNode].isPlain
            ? EventType(utf8: tape.span(typeNode)) : EventType(rawValue: tape.string(typeNode))
        let type = known?.rawValue ?? tape.string(typeNode)
        let time = try root.instant("time")
        let project = try root.identifier("project")
        let dataValue = try root.required("data")

        guard let known else {
            // Unknown types are stored and ignored whatever their data looks like.
            return Event(id: id, type: type, time: time, project: project, payload: .ignored)
        }
        guard tape.kind(dataValue) == .object else {
            throw root.wrongType("data", expected: "an object", got: dataValue)
        }
        let data = root.child("data", object: dataValue)
        let payload = try decodePayload(known, data, addons: addons)
        return Event(id: id, type: type, time: time, project: project, payload: payload)
    }

    static func decodePayload(_ type: EventType, _ data: FieldReader, addons: (any AddonSnapshotCache)?) throws(DecodingFailure) -> EventPayload {
        switch type {
        case .subscriptionAddonCreated:
            let sad = try data.identifier("id")
            let subscription = try data.identifier("subscription")
            let addon = try decodeAddon(data.object("addon"), catalog: addons)
            return .addonCreated(AddonCreated(subscriptionAddon: sad, subscription: subscription, addon: addon))

        case .invoicePaid:
            let invoice = try data.identifier("id")
            let subscription = try data.identifier("subscription")
            let items = try data.array("lineItems")
            var sads: [String] = []
            for (i, item) in items.enumerated() {
                guard data.tape.kind(item) == .object else {
                    throw data.wrongType(data.pathOf("lineItems") + "[\(i)]", expected: "an object", got: item)
                }
                let reader = data.child("lineItems", index: i, object: item)
                // Items without a subscription add-on (plan fees, taxes) are not ours.
                guard let value = reader.optional("subscriptionAddon"), data.tape.kind(value) != .null else { continue }
                sads.append(try reader.identifier("subscriptionAddon"))
            }
            return .invoicePaid(InvoicePaid(invoice: invoice, subscription: subscription, subscriptionAddons: sads))

        case .networkLatched:
            return .networkLatched(NetworkLatched(
                subscription: try data.identifier("subscription"),
                country: try data.country("country"),
                provider: data.optionalString("provider")))

        case .usageStarted:
            return .usageStarted(UsageStarted(
                subscription: try data.identifier("subscription"),
                country: try data.country("country"),
                kind: data.optionalString("kind")))

        case .subscriptionPeriodEnded:
            let subscription = try data.identifier("subscription")
            let period = try decodePeriod(data.object("period"), minimumNumber: 1)
            return .periodEnded(PeriodEnded(subscription: subscription, period: period))

        case .subscriptionRenewed:
            let subscription = try data.identifier("id")
            // The end of period `number - 1` (period 0 when the provider numbers the first period 1).
            let period = try decodePeriod(data.object("currentPeriod"), minimumNumber: 1)
            return .subscriptionRenewed(SubscriptionRenewed(subscription: subscription, currentPeriod: period))

        case .subscriptionAddonCanceled:
            return .addonCanceled(AddonCanceled(
                subscriptionAddon: try data.identifier("id"),
                subscription: try data.identifier("subscription")))

        case .subscriptionEnded:
            return .subscriptionEnded(SubscriptionEnded(subscription: try data.identifier("id")))
        }
    }

    static func decodeAddon(_ addon: FieldReader, catalog: (any AddonSnapshotCache)?) throws(DecodingFailure) -> AddonSnapshot {
        guard let catalog else { return try decodeAddon(addon) }
        // In a compact body the object's bytes are its compact text, and they alone decide the
        // snapshot (the document's hazards were checked first): a text seen before is not decoded.
        if addon.tape.isCompact, let known = catalog.snapshot(text: UnsafeRawBufferPointer(addon.tape.span(addon.object))) {
            return known
        }
        return catalog.intern(try decodeAddon(addon))
    }

    static func decodeAddon(_ addon: FieldReader) throws(DecodingFailure) -> AddonSnapshot {
        let id = try addon.identifier("id")

        let triggerText = try addon.string("activationTrigger")
        guard let trigger = ActivationTrigger(rawValue: triggerText) else {
            let field = addon.pathOf("activationTrigger")
            throw .invalid(
                field: field, code: DecodingFailure.Code.unknownActivationTrigger,
                message: "\(field) \"\(Echo.excerpt(triggerText))\" is not a known activation trigger.",
                hint: "Send \(field) as one of: creation, networkLatch, usageStarted.")
        }

        var validity: Validity?
        if let v = try addon.nullableObject("validity") {
            let unitText = try v.string("unit")
            guard let unit = ValidityUnit(rawValue: unitText) else {
                let field = v.pathOf("unit")
                throw .invalid(
                    field: field, code: DecodingFailure.Code.unknownValidityUnit,
                    message: "\(field) \"\(Echo.excerpt(unitText))\" is not a known validity unit.",
                    hint: "Send \(field) as one of: day, week, month, year (or \(addon.pathOf("validity")) as null to follow the subscription period).")
            }
            let range = Int64(Validity.valueRange.lowerBound)...Int64(Validity.valueRange.upperBound)
            validity = Validity(unit: unit, value: Int(try v.integer("value", in: range)))
        }

        var coverage: Coverage?
        if let c = try addon.nullableObject("coverage") {
            // Only the countries matter; id and name are informational.
            let list = try c.array("countries")
            var countries: [String] = []
            for (i, element) in list.enumerated() {
                guard c.tape.kind(element) == .string else {
                    throw c.wrongType(c.pathOf("countries") + "[\(i)]", expected: "a country code string", got: element)
                }
                let code = c.tape.string(element)
                try FieldReader.checkCountry(code, field: c.pathOf("countries") + "[\(i)]")
                countries.append(code)
            }
            coverage = Coverage(id: c.optionalString("id"), countries: countries, name: c.optionalString("name"))
        }

        let price = try addon.object("price")
        let amount = try price.integer("amount", in: 0...Int64.max)
        // Any non-empty code: the lifecycle only tests the amount for zero.
        let currency = try price.string("currency")
        guard !currency.isEmpty else {
            let field = price.pathOf("currency")
            throw .invalid(
                field: field, code: DecodingFailure.Code.invalidValue,
                message: "\(field) is empty.",
                hint: "Send \(field) as a currency code such as \"USD\".")
        }

        return AddonSnapshot(
            id: id, activationTrigger: trigger, validity: validity, coverage: coverage,
            price: Price(amount: amount, currency: currency), rawText: addon.tape.compactText(at: addon.object))
    }

    /// `end` before `start` is the provider's business: only the boundary is used.
    static func decodePeriod(_ p: FieldReader, minimumNumber: Int64) throws(DecodingFailure) -> BillingPeriod {
        let number = try p.integer("number", in: minimumNumber...Int64(Int32.max))
        let start = try p.instant("start")
        let end = try p.instant("end")
        return BillingPeriod(number: Int(number), start: start, end: end)
    }
}
