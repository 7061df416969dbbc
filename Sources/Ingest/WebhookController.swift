import Foundation
import StandardWebhooks
import HTTPTypes
import Hummingbird
import Lifecycle
import EventFormat
import Logging
import Metrics
import Postgres
import Store

/// `POST /webhooks`: verify the signature on the raw body, decode and validate the event, store it
/// durably (group commit), and only then answer 202 (or 200 for a duplicate).
public struct WebhookController<Context: RequestContext>: Sendable {
    public static var maxBodySize: Int { 256 * 1024 }

    let verifier: WebhookVerifier?
    let committer: GroupCommitter
    /// Bounds the memory of bodies read but not yet verified.
    let budget: BodyBudget
    /// Unix seconds; injectable so tests can check the tolerance window.
    let now: @Sendable () -> Int64
    let metrics = IngestMetrics()
    let refusals = RefusalLog()

    public init(verifier: WebhookVerifier?, committer: GroupCommitter, budget: BodyBudget = BodyBudget(bytes: HTTPLimits().unsignedBodyBudget),
                now: @escaping @Sendable () -> Int64 = WebhookClock.unixSeconds) {
        self.verifier = verifier
        self.committer = committer
        self.budget = budget
        self.now = now
    }

    public func register(on router: Router<Context>) {
        router.post("/webhooks") { request, context in
            try await receive(request, context: context)
        }
    }

    func receive(_ request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let (response, outcome) = try await handle(request, context: context)
            metrics.record(outcome: outcome, since: started)
            return response
        } catch let error as APIError {
            metrics.record(outcome: error.type, since: started)
            refusals.refused(error, logger: context.logger)
            throw error
        }
    }

    /// The response and its outcome (`accepted`, `ignored` or `duplicate`) for metrics.
    private func handle(_ request: Request, context: Context) async throws -> (Response, String) {
        // 413 from the declared length, before reading anything.
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > Self.maxBodySize {
            throw APIError.payloadTooLarge
        }
        if let contentType = request.headers[.contentType], !Self.isJSON(contentType) {
            throw APIError(status: .unsupportedMediaType, type: "unsupportedMediaType", code: "contentType",
                           message: "Content-Type must be application/json.", hint: "Send the event as JSON.")
        }
        let body = try await verifiedBody(request)

        let event: Event
        do {
            event = try EventDecoder.decode(body)
        } catch {
            // A repeated id is a duplicate whatever its body (SPEC §2), also one that no longer
            // validates: look it up before refusing. Only signed bodies get here.
            if error.httpStatus == 422, let id = EventDecoder.envelopeID(body), await committer.isStored(id: id) == true {
                return (Self.receipt(id: id, status: "duplicate", code: .ok), "duplicate")
            }
            throw APIError(error)
        }

        let record = InboxRecord(event, body: String(decoding: body, as: UTF8.self), headers: Self.auditHeaders(request))

        let outcome: StoreOutcome
        do {
            outcome = try await committer.store(record)
        } catch let error as PostgresError where error.isDataError {
            // The database refused this row's data even on its own: input we failed to validate.
            // A 4xx, so the provider does not retry forever; the details stay in our log.
            context.logger.error("event refused by the database", metadata: ["event": "\(event.id)", "error": "\(error)"])
            throw APIError(status: .unprocessableContent, type: "invalid", code: "rejectedByStore",
                           message: "The event's values could not be stored.", hint: "Check the event's field values.")
        } catch {
            // Anything else is the database's problem, not the event's: 503, so the provider retries.
            throw APIError.unavailable("The database is unavailable; the event was not stored.")
        }

        let logger = context.logger
        logger.debug("webhook stored", metadata: ["event": "\(event.id)", "type": "\(event.type)", "subscription": "\(event.subscription ?? "-")", "outcome": "\(outcome)"])
        let status: String
        switch outcome {
        case .duplicate: status = "duplicate"
        case .stored: status = event.isIgnored ? "ignored" : "accepted"
        case .addonOwnedElsewhere(let owner):
            throw APIError(status: .unprocessableContent, type: "invalid", code: "subscriptionAddonConflict",
                           message: "data.id \(Echo.excerpt(event.createdAddon ?? "")) belongs to subscription \(Echo.excerpt(owner)).",
                           hint: "An add-on is attached to one subscription; give this one its own id.")
        }
        return (Self.receipt(id: event.id, status: status, code: outcome == .duplicate ? .ok : .accepted), status)
    }

    /// `{"object":"eventReceipt","id",…,"status"}`.
    static func receipt(id: String, status: String, code: HTTPResponse.Status) -> Response {
        let receipt = JSONValue.object([
            JSONMember("object", .string("eventReceipt")),
            JSONMember("id", .string(id)),
            JSONMember("status", .string(status)),
        ])
        return Response(status: code, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: receipt.jsonBytes)))
    }

    /// The body, verified. Headers that cannot verify (absent, or a timestamp outside the window)
    /// are refused before any of it is read. The bytes read count against the unsigned-body budget
    /// as they arrive (503 past it) and leave it once the signature is checked: a client that
    /// declares a large body and sends nothing holds nothing.
    private func verifiedBody(_ request: Request) async throws -> [UInt8] {
        if let verifier { try Self.verify(request, body: nil, with: verifier, now: now()) }
        var reserved = 0
        defer { budget.release(reserved) }
        var body: [UInt8] = []
        do {
            for try await chunk in request.body {
                guard body.count + chunk.readableBytes <= Self.maxBodySize else { throw APIError.payloadTooLarge }
                guard budget.reserve(chunk.readableBytes) else { throw APIError.bodyBudgetExhausted }
                reserved += chunk.readableBytes
                body += chunk.readableBytesView
            }
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge
        }
        if let verifier {
            try Self.verify(request, body: body, with: verifier, now: now())
        }
        return body
    }

    /// `application/json` or `application/…+json`, any parameters, any case.
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
        let trimmed = mediaType.drop { $0 == 32 }.reversed().drop { $0 == 32 }.reversed()
        let lowered = trimmed.map { $0 | (($0 >= 65 && $0 <= 90) ? 0x20 : 0) }
        let prefix = Array("application/".utf8)
        guard lowered.starts(with: prefix) else { return false }
        return lowered.elementsEqual("application/json".utf8) || lowered.reversed().starts(with: "nosj+".utf8)
    }

    /// `body` nil: only what the headers alone can refuse (before the body is read).
    static func verify(_ request: Request, body: [UInt8]?, with verifier: WebhookVerifier, now: Int64) throws {
        // One naming scheme as a whole set: `webhook-*` when its id is present, else `svix-*`.
        let prefix = HTTPField.Name("webhook-id").flatMap { request.headers[$0] } != nil ? "webhook" : "svix"
        func header(_ name: String) -> String? {
            guard let field = HTTPField.Name("\(prefix)-\(name)") else { return nil }
            // A repeated header is ambiguous; join signatures with spaces, refuse other repeats.
            let values = request.headers[values: field]
            if name == "signature" { return values.isEmpty ? nil : values.joined(separator: " ") }
            return values.count == 1 ? values[0] : nil
        }
        let headers = WebhookVerifier.Headers(id: header("id"), timestamp: header("timestamp"), signature: header("signature"))
        do {
            if let body {
                try verifier.verify(headers: headers, body: body, now: now)
            } else {
                try verifier.checkHeaders(headers, now: now)
            }
        } catch {
            switch error {
            case .missingHeaders:
                throw APIError.unauthenticated("missingSignature", "The webhook-id, webhook-timestamp and webhook-signature headers are required.",
                                               hint: "Sign requests as Standard Webhooks describes.")
            case .malformedTimestamp:
                throw APIError.unauthenticated("invalidTimestamp", "webhook-timestamp must be Unix seconds.")
            case .timestampOutOfTolerance:
                throw APIError.unauthenticated("timestampOutOfTolerance", "webhook-timestamp is more than 5 minutes from the server's clock.",
                                               hint: "Check the sender's clock; replayed requests are refused.")
            case .noValidSignature:
                throw APIError.unauthenticated("invalidSignature", "No signature matches.", hint: "Check the signing secret.")
            }
        }
    }

    /// What we keep for audit: who signed what and when (not the signature value itself).
    static func auditHeaders(_ request: Request) -> PostgresJSONB {
        var members: [JSONMember] = []
        for name in ["webhook-id", "webhook-timestamp", "svix-id", "svix-timestamp", "user-agent", "content-type"] {
            if let field = HTTPField.Name(name), let value = request.headers[field] {
                members.append(JSONMember(name, .string(String(value.prefix(256)))))
            }
        }
        return PostgresJSONB(bytes: JSONValue.object(members).jsonBytes)
    }
}
