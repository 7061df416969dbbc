import Testing
import Lifecycle
import EventFormat
import LifecycleFixtures
import Replay

@Suite struct EventDecoderTests {
    @Test func decodesSubscriptionAddonCreated() throws {
        let body = Fixture.created("evt_0SNlurA049MEWV5gNTcQ5A07h3Ol", at: "2025-12-15T11:30:00+01:00",
                                   sad: "sad_0SNlurA049MEWV5CxLfwJc8QKsIp", addon: Fixture.europeWeekPass)
        let event = try Fixture.event(body)
        #expect(event.id == "evt_0SNlurA049MEWV5gNTcQ5A07h3Ol")
        #expect(event.type == "com.gigs.subscriptionAddon.created")
        #expect(event.eventType == .subscriptionAddonCreated)
        #expect(event.time == t("2025-12-15T10:30:00Z"))
        #expect(event.project == "gigs")
        #expect(event.subscription == Fixture.subscription)
        guard case .addonCreated(let created) = event.payload else {
            Issue.record("wrong payload \(event.payload)")
            return
        }
        #expect(created.subscriptionAddon == "sad_0SNlurA049MEWV5CxLfwJc8QKsIp")
        #expect(created.addon.id == "add_0SNlurA049MEWV3V0q7gjQbM4EVo")
        #expect(created.addon.activationTrigger == .networkLatch)
        #expect(created.addon.validity == Validity(unit: .day, value: 7))
        #expect(created.addon.coverage == Coverage(id: "cp_europe_zone_1", countries: ["DE", "FR", "IT", "ES", "PL", "NL"], name: "Europe Zone 1"))
        #expect(created.addon.coverage?.countries == ["DE", "ES", "FR", "IT", "NL", "PL"])
        #expect(created.addon.price == Price(amount: 499, currency: "USD"))
        #expect(created.addon.raw == Fixture.europeWeekPass)
        #expect(created.addon.covers(country: "PL"))
        #expect(!created.addon.covers(country: "GB"))
    }

    /// The stored add-on object is the compact form of what was sent, whether the body was
    /// compact (copied as is) or spaced and escaped (rebuilt).
    @Test func addonTextIsCompactWhateverTheBodyLooksLike() throws {
        let body = Fixture.created("evt_1", at: "2025-12-15T10:30:00Z", sad: "sad_1", addon: Fixture.europeWeekPass).jsonString
        let spaced = body.replacing(",\"", with: ",\n  \"").replacing("Europe", with: #"\u0045urope"#)
        #expect(spaced != body)
        for text in [body, spaced] {
            guard case .addonCreated(let created) = try EventDecoder.decode(text).payload else { Issue.record("wrong payload"); return }
            #expect(created.addon.rawText == Fixture.europeWeekPass.jsonString)
            #expect(created.addon.raw == Fixture.europeWeekPass)
        }
    }

    /// Keys are found by their value, not their spelling: escaped keys are read like plain ones.
    @Test func escapedKeysAreFoundLikePlainOnes() throws {
        let body = Fixture.invoicePaid("evt_1", at: "2025-12-15T10:31:00Z", sads: ["sad_1"]).jsonString
        let escaped = body.replacing(#""id":"evt_1""#, with: #""\u0069d":"evt_1""#)
            .replacing(#""type":"#, with: #""typ\u0065":"#)
            .replacing(#""subscriptionAddon":"#, with: #""subscription\u0041ddon":"#)
        #expect(escaped.contains(#"\u0069d"#) && escaped.contains(#"\u0041ddon"#))
        #expect(try EventDecoder.decode(escaped) == EventDecoder.decode(body))
    }

    /// Replay's catalog decodes each add-on text once and hands the same snapshot back; another
    /// text, or the same add-on spelled otherwise, is decoded on its own.
    @Test func theCatalogSharesEqualAddonsOnly() throws {
        let catalog = AddonCatalog()
        func addon(_ body: JSONValue) throws -> AddonSnapshot {
            guard case .addonCreated(let created) = try EventDecoder.decode(body.jsonBytes, addons: catalog).payload else {
                throw DecodingFailure.malformed(message: "wrong payload")
            }
            return created.addon
        }
        let first = try addon(Fixture.created("evt_1", at: "2025-12-15T10:30:00Z", sad: "sad_1", addon: Fixture.japan5GB))
        let again = try addon(Fixture.created("evt_2", at: "2025-12-16T10:30:00Z", sad: "sad_2", addon: Fixture.japan5GB, subscription: "sub_2"))
        #expect(again == first)
        #expect(catalog.count == 1)

        let cheaper = Fixture.created("evt_3", at: "2025-12-16T10:30:00Z", sad: "sad_3", addon: Fixture.japan5GB)
            .replacing("data.addon.price.amount", with: 999)
        #expect(try addon(cheaper).price.amount == 999)
        #expect(catalog.count == 2)

        let longer = Fixture.created("evt_4", at: "2025-12-16T10:30:00Z", sad: "sad_4", addon: Fixture.japan5GB)
            .replacing("data.addon.validity.value", with: .number(JSONNumber(literal: "14.0")!))
        #expect(try addon(longer).rawText.contains("14.0"))
        #expect(catalog.count == 3)

        // An invalid add-on is never kept, so its text fails again.
        let invalid = Fixture.created("evt_5", at: "2025-12-16T10:30:00Z", sad: "sad_5", addon: Fixture.japan5GB)
            .replacing("data.addon.validity.unit", with: "fortnight")
        for _ in 0..<2 { #expect(throws: DecodingFailure.self) { try addon(invalid) } }
        #expect(catalog.count == 3)
    }

    @Test func decodesNullValidityAndCoverage() throws {
        let event = try Fixture.event(Fixture.created("evt_1", at: "2025-12-15T10:30:00Z", sad: "sad_1", addon: Fixture.roamingTopUp))
        guard case .addonCreated(let created) = event.payload else { Issue.record("wrong payload"); return }
        #expect(created.addon.validity == nil)
        #expect(created.addon.coverage == nil)
        #expect(created.addon.covers(country: "BR"))
    }

    @Test func acceptsIntegralSpellingsOfValidity() throws {
        let body = Fixture.created("evt_1", at: "2025-12-15T10:30:00Z", sad: "sad_1", addon: Fixture.japan5GB)
            .replacing("data.addon.validity.value", with: .number(JSONNumber(literal: "14.0")!))
        guard case .addonCreated(let created) = try Fixture.event(body).payload else { Issue.record("wrong payload"); return }
        #expect(created.addon.validity == Validity(unit: .day, value: 14))
    }

    @Test func decodesInvoicePaidListingOnlyAddOnLines() throws {
        var body = Fixture.invoicePaid("evt_2", at: "2025-12-15T10:31:00Z", invoice: "inv_1", sads: ["sad_1", "sad_2"])
        body = body.replacing("data.lineItems[0].subscriptionAddon", with: nil)
        let withNull = body.replacing("data.lineItems[1].note", with: "x")
        let event = try Fixture.event(withNull.replacing("data.lineItems[0].subscriptionAddon", with: .null))
        #expect(event.payload == .invoicePaid(InvoicePaid(invoice: "inv_1", subscription: Fixture.subscription, subscriptionAddons: ["sad_1", "sad_2"])))
        #expect(event.fact?.kind == .invoicePaid(invoice: "inv_1", subscriptionAddons: ["sad_1", "sad_2"]))
    }

    @Test func decodesSignals() throws {
        let latch = try Fixture.event(Fixture.latched("evt_3", at: "2025-12-16T07:00:00Z", country: "DE"))
        #expect(latch.payload == .networkLatched(NetworkLatched(subscription: Fixture.subscription, country: "DE", provider: "p15")))
        #expect(latch.fact == Fact(eventID: "evt_3", time: t("2025-12-16T07:00:00Z"), subscription: Fixture.subscription, kind: .networkLatched(country: "DE")))
        let usage = try Fixture.event(Fixture.usageStarted("evt_4", at: "2025-12-16T07:00:00Z", country: "JP"))
        #expect(usage.payload == .usageStarted(UsageStarted(subscription: Fixture.subscription, country: "JP", kind: "data")))
        #expect(usage.fact?.kind == .usageStarted(country: "JP"))
    }

    @Test func periodFactsUseThePeriodBoundary() throws {
        let ended = try Fixture.event(Fixture.periodEnded("evt_5", at: "2025-12-20T00:05:00Z", number: 2,
                                                          start: "2025-11-20T00:00:00Z", end: "2025-12-20T00:00:00Z"))
        #expect(ended.subscription == Fixture.subscription)
        #expect(ended.fact?.time == t("2025-12-20T00:00:00Z"))
        #expect(ended.fact?.kind == .periodEnded(number: 2, start: t("2025-11-20T00:00:00Z"), end: t("2025-12-20T00:00:00Z")))

        let renewed = try Fixture.event(Fixture.renewed("evt_6", at: "2025-12-20T00:05:00Z", number: 3,
                                                        start: "2025-12-20T00:00:00Z", end: "2026-01-20T00:00:00Z"))
        #expect(renewed.subscription == Fixture.subscription)
        #expect(renewed.fact?.time == t("2025-12-20T00:00:00Z"))
        #expect(renewed.fact?.kind == .periodEnded(number: 2, start: nil, end: t("2025-12-20T00:00:00Z")))
    }

    @Test func decodesEndings() throws {
        let canceled = try Fixture.event(Fixture.canceled("evt_7", at: "2025-12-17T00:00:00Z", sad: "sad_1"))
        #expect(canceled.payload == .addonCanceled(AddonCanceled(subscriptionAddon: "sad_1", subscription: Fixture.subscription)))
        #expect(canceled.fact?.kind == .addonCanceled(subscriptionAddon: "sad_1"))
        let ended = try Fixture.event(Fixture.subscriptionEnded("evt_8", at: "2025-12-18T00:00:00Z"))
        #expect(ended.subscription == Fixture.subscription)
        #expect(ended.fact?.kind == .subscriptionEnded)
    }

    @Test func unknownTypesAreIgnoredWhateverTheirData() throws {
        for data: JSONValue in [["anything": [1, 2]], [1, 2], "text", nil] {
            let event = try Fixture.event(Fixture.envelope(id: "evt_9", type: "com.gigs.device.updated", time: "2025-12-15T10:30:00Z", data: data))
            #expect(event.isIgnored)
            #expect(event.type == "com.gigs.device.updated")
            #expect(event.subscription == nil)
            #expect(event.fact == nil)
        }
    }

    @Test func decodesFromStringAndRawBuffer() throws {
        let text = Fixture.subscriptionEnded("evt_8", at: "2025-12-18T00:00:00Z").jsonString
        #expect(try EventDecoder.decode(text).id == "evt_8")
        let bytes = Array(text.utf8)
        let event = try bytes.withUnsafeBytes { raw throws(DecodingFailure) in try EventDecoder.decode(raw) }
        #expect(event.id == "evt_8")
        #expect(try EventDecoder.decode(bytes[...]).id == "evt_8")
    }

    // MARK: 400 malformed

    @Test(arguments: ["", "not json", "{\"id\":", "[]", "[{\"id\":\"evt_1\"}]", "\"evt\"", "42", "null", "{\"a\":1}{}"])
    func malformedBodies(_ body: String) {
        let failure = #expect(throws: DecodingFailure.self) { try EventDecoder.decode(body) }
        guard case .malformed(let message)? = failure else {
            Issue.record("expected malformed, got \(String(describing: failure))")
            return
        }
        #expect(!message.isEmpty)
        #expect(failure?.httpStatus == 400)
        #expect(failure?.errorType == "malformed")
    }

    @Test func invalidUTF8IsMalformed() {
        var bytes = Array(Fixture.subscriptionEnded("evt_8", at: "2025-12-18T00:00:00Z").jsonString.utf8)
        bytes.insert(0xFF, at: bytes.count - 10)
        let failure = #expect(throws: DecodingFailure.self) { try EventDecoder.decode(bytes) }
        #expect(failure?.httpStatus == 400)
    }

    // MARK: 422 invalid: every rejection path names its field

    @Test(arguments: Rejection.all)
    func rejects(_ rejection: Rejection) {
        let body = rejection.base.replacing(rejection.path, with: rejection.replacement)
        let failure = #expect(throws: DecodingFailure.self) { try EventDecoder.decode(body.jsonBytes) }
        guard case .invalid(let field, let code, let message, let hint)? = failure else {
            Issue.record("expected invalid, got \(String(describing: failure))")
            return
        }
        #expect(field == rejection.field)
        #expect(code == rejection.code)
        #expect(message.contains(rejection.field))
        #expect(hint.contains(rejection.field))
        #expect(failure?.httpStatus == 422)
    }

    @Test func errorObjectFollowsTheProviderConvention() {
        let failure = DecodingFailure.invalid(field: "data.country", code: "invalidCountry", message: "m", hint: "h")
        #expect(failure.errorObject.jsonString == #"{"object":"error","type":"invalid","code":"invalidCountry","message":"m","hint":"h"}"#)
        #expect(DecodingFailure.malformed(message: "bad").errorObject.jsonString == #"{"object":"error","type":"malformed","message":"bad"}"#)
    }

    @Test func countryHintsSuggestTheFix() {
        func hint(_ country: String) -> String? {
            let body = Fixture.latched("evt_1", at: "2025-12-15T10:30:00Z", country: country)
            do {
                _ = try EventDecoder.decode(body.jsonBytes)
                return nil
            } catch {
                return error.hint
            }
        }
        #expect(hint("jp")?.contains("\"JP\"") == true)
        #expect(hint("UK")?.contains("\"GB\"") == true)
    }

    @Test func countryList() {
        #expect(CountryCodes.assigned.count == 249)
        #expect(CountryCodes.accepted.count == 250)
        for code in CountryCodes.accepted {
            #expect(CountryCodes.isAccepted(code))
        }
        #expect(CountryCodes.isAccepted("XK"))
        for code in ["UK", "EU", "ZZ", "XX", "jp", "Jp", "J", "JPN", "", "ÉÉ"] {
            #expect(!CountryCodes.isAccepted(code))
        }
    }
}

/// One invalid body: a valid fixture with one field replaced (or removed), and the field and code
/// the 422 must name.
struct Rejection: Sendable, CustomTestStringConvertible {
    let base: JSONValue
    let path: String
    let replacement: JSONValue?
    let field: String
    let code: String

    var testDescription: String { "\(path) = \(replacement.map(\.jsonString) ?? "<removed>") → \(code)" }

    init(_ base: JSONValue, _ path: String, _ replacement: JSONValue?, _ code: String, field: String? = nil) {
        self.base = base
        self.path = path
        self.replacement = replacement
        self.field = field ?? path
        self.code = code
    }

    static let missing = DecodingFailure.Code.missingField
    static let wrongType = DecodingFailure.Code.wrongType
    static let invalidValue = DecodingFailure.Code.invalidValue
    static let invalidTimestamp = DecodingFailure.Code.invalidTimestamp
    static let invalidCountry = DecodingFailure.Code.invalidCountry

    static let created = Fixture.created("evt_1", at: "2025-12-15T10:30:00Z", sad: "sad_1", addon: Fixture.europeWeekPass)
    static let invoice = Fixture.invoicePaid("evt_2", at: "2025-12-15T10:31:00Z", sads: ["sad_1"])
    static let latched = Fixture.latched("evt_3", at: "2025-12-16T07:00:00Z", country: "DE")
    static let usage = Fixture.usageStarted("evt_4", at: "2025-12-16T07:00:00Z", country: "JP")
    static let period = Fixture.periodEnded("evt_5", at: "2025-12-20T00:00:00Z", number: 2, start: "2025-11-20T00:00:00Z", end: "2025-12-20T00:00:00Z")
    static let renewed = Fixture.renewed("evt_6", at: "2025-12-20T00:00:00Z", number: 3, start: "2025-12-20T00:00:00Z", end: "2026-01-20T00:00:00Z")
    static let canceled = Fixture.canceled("evt_7", at: "2025-12-17T00:00:00Z", sad: "sad_1")
    static let ended = Fixture.subscriptionEnded("evt_8", at: "2025-12-18T00:00:00Z")

    static let all: [Rejection] = envelope + addonCreated + others

    static let envelope: [Rejection] = [
        Rejection(created, "id", nil, missing),
        Rejection(created, "id", 5, wrongType),
        Rejection(created, "id", .null, wrongType),
        Rejection(created, "id", "", invalidValue),
        Rejection(created, "id", .string(String(repeating: "e", count: 256)), invalidValue),
        Rejection(created, "id", "evt\n1", invalidValue),
        Rejection(created, "type", nil, missing),
        Rejection(created, "type", true, wrongType),
        Rejection(created, "time", nil, missing),
        Rejection(created, "time", 1_765_794_660, wrongType),
        Rejection(created, "time", "2025-02-30T00:00:00Z", invalidTimestamp),
        Rejection(created, "time", "2025-12-15T10:31:00", invalidTimestamp),
        Rejection(created, "time", "yesterday", invalidTimestamp),
        Rejection(created, "time", "0000-12-31T00:00:00Z", invalidTimestamp),
        Rejection(created, "project", nil, missing),
        Rejection(created, "project", "", invalidValue),
        Rejection(created, "project", ["gigs"], wrongType),
        Rejection(created, "data", nil, missing),
        Rejection(created, "data", [1, 2], wrongType),
        Rejection(ended, "data", "sub_1", wrongType),
    ]

    static let addonCreated: [Rejection] = [
        Rejection(created, "data.id", nil, missing),
        Rejection(created, "data.id", 7, wrongType),
        Rejection(created, "data.subscription", nil, missing),
        Rejection(created, "data.subscription", .null, wrongType),
        Rejection(created, "data.addon", nil, missing),
        Rejection(created, "data.addon", "add_1", wrongType),
        Rejection(created, "data.addon.id", nil, missing),
        Rejection(created, "data.addon.activationTrigger", nil, missing),
        Rejection(created, "data.addon.activationTrigger", 1, wrongType),
        Rejection(created, "data.addon.activationTrigger", "onBoot", DecodingFailure.Code.unknownActivationTrigger),
        Rejection(created, "data.addon.activationTrigger", "Creation", DecodingFailure.Code.unknownActivationTrigger),
        Rejection(created, "data.addon.validity", nil, missing),
        Rejection(created, "data.addon.validity", "P7D", wrongType),
        Rejection(created, "data.addon.validity.unit", nil, missing),
        Rejection(created, "data.addon.validity.unit", "fortnight", DecodingFailure.Code.unknownValidityUnit),
        Rejection(created, "data.addon.validity.unit", 7, wrongType),
        Rejection(created, "data.addon.validity.value", nil, missing),
        Rejection(created, "data.addon.validity.value", 0, invalidValue),
        Rejection(created, "data.addon.validity.value", -7, invalidValue),
        Rejection(created, "data.addon.validity.value", 100_001, invalidValue),
        Rejection(created, "data.addon.validity.value", .number(JSONNumber(literal: "1e30")!), invalidValue),
        Rejection(created, "data.addon.validity.value", 1.5, wrongType),
        Rejection(created, "data.addon.validity.value", "7", wrongType),
        Rejection(created, "data.addon.coverage", nil, missing),
        Rejection(created, "data.addon.coverage", ["DE"], wrongType),
        Rejection(created, "data.addon.coverage.countries", nil, missing),
        Rejection(created, "data.addon.coverage.countries", "DE", wrongType),
        Rejection(created, "data.addon.coverage.countries[1]", "fr", invalidCountry),
        Rejection(created, "data.addon.coverage.countries[1]", "UK", invalidCountry),
        Rejection(created, "data.addon.coverage.countries[5]", "XX", invalidCountry),
        Rejection(created, "data.addon.coverage.countries[0]", 49, wrongType),
        Rejection(created, "data.addon.price", nil, missing),
        Rejection(created, "data.addon.price", 499, wrongType),
        Rejection(created, "data.addon.price.amount", nil, missing),
        Rejection(created, "data.addon.price.amount", -1, invalidValue),
        Rejection(created, "data.addon.price.amount", 4.99, wrongType),
        Rejection(created, "data.addon.price.amount", "499", wrongType),
        Rejection(created, "data.addon.price.currency", nil, missing),
        Rejection(created, "data.addon.price.currency", "", invalidValue),
        Rejection(created, "data.addon.price.currency", 840, wrongType),
    ]

    static let others: [Rejection] = [
        Rejection(invoice, "data.id", nil, missing),
        Rejection(invoice, "data.subscription", nil, missing),
        Rejection(invoice, "data.lineItems", nil, missing),
        Rejection(invoice, "data.lineItems", ["subscriptionAddon": "sad_1"], wrongType),
        Rejection(invoice, "data.lineItems[0]", "sad_1", wrongType),
        Rejection(invoice, "data.lineItems[1].subscriptionAddon", 5, wrongType),
        Rejection(invoice, "data.lineItems[1].subscriptionAddon", "", invalidValue),
        Rejection(latched, "data.subscription", nil, missing),
        Rejection(latched, "data.subscription", "", invalidValue),
        Rejection(latched, "data.country", nil, missing),
        Rejection(latched, "data.country", 49, wrongType),
        Rejection(latched, "data.country", "de", invalidCountry),
        Rejection(latched, "data.country", "DEU", invalidCountry),
        Rejection(latched, "data.country", "XX", invalidCountry),
        Rejection(usage, "data.subscription", nil, missing),
        Rejection(usage, "data.country", nil, missing),
        Rejection(usage, "data.country", "ZZ", invalidCountry),
        Rejection(period, "data.subscription", nil, missing),
        Rejection(period, "data.period", nil, missing),
        Rejection(period, "data.period", "2", wrongType),
        Rejection(period, "data.period.number", nil, missing),
        Rejection(period, "data.period.number", 0, invalidValue),
        Rejection(period, "data.period.number", "2", wrongType),
        Rejection(period, "data.period.start", nil, missing),
        Rejection(period, "data.period.start", "2025-11-31T00:00:00Z", invalidTimestamp),
        Rejection(period, "data.period.end", nil, missing),
        Rejection(period, "data.period.end", 1_766_188_800, wrongType),
        Rejection(renewed, "data.id", nil, missing),
        Rejection(renewed, "data.currentPeriod", nil, missing),
        Rejection(renewed, "data.currentPeriod.number", 0, invalidValue),
        Rejection(renewed, "data.currentPeriod.start", "soon", invalidTimestamp),
        Rejection(renewed, "data.currentPeriod.end", nil, missing),
        Rejection(canceled, "data.id", nil, missing),
        Rejection(canceled, "data.subscription", nil, missing),
        Rejection(ended, "data.id", nil, missing),
        Rejection(ended, "data.id", .null, wrongType),
    ]
}
