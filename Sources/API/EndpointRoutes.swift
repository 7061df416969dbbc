import Delivery
import Foundation
import Hummingbird
import Ingest
import Lifecycle
import Logging
import EventFormat
import Postgres
import StandardWebhooks
import Store

/// The operator's webhook endpoints and their messages (SPEC §6), scoped to the path's project.
struct EndpointRoutes<Context: RequestContext> {
    let pool: PostgresPool
    /// Loopback, private and plain-http URLs accepted (`--allow-private-destinations`).
    let allowPrivateDestinations: Bool
    /// How long a rotated-out secret keeps signing.
    static var rotationOverlap: Duration { .seconds(86_400) }

    func register(on group: RouterGroup<Context>) {
        group.post("projects/{project}/webhookEndpoints") { request, context in
            let project = try context.pathParameter("project")
            let body = try await JSONBody(request)
            guard let url = try body.string("url") else { throw JSONBody.invalid("url", "is required.") }
            try await checkDestination(url)
            let endpoint = try await pool.write(logger: context.logger) { connection in
                try WebhookEndpoints.create(id: Self.newID(), project: project, url: url, eventTypes: try body.eventTypes() ?? nil,
                                            description: try body.string("description", nullable: true), secret: WebhookSecret.generate().encoded,
                                            on: connection)
            }
            context.logger.notice("webhook endpoint created", metadata: ["endpoint": "\(endpoint.id)", "project": "\(project)"])
            return Response.json(endpoint.json(withSecret: true), status: .created)
        }
        group.get("projects/{project}/webhookEndpoints") { request, context in
            let project = try context.pathParameter("project")
            let page = try QueryParameters(request: request).page()
            let endpoints = try await pool.read(logger: context.logger) { try WebhookEndpoints.list(project: project, page: page, on: $0) }
            return Response.list(Page(items: endpoints.items.map { $0.json() }, moreItemsAfter: endpoints.moreItemsAfter,
                                      moreItemsBefore: endpoints.moreItemsBefore))
        }
        group.get("projects/{project}/webhookEndpoints/{id}") { _, context in
            Response.json(try await endpoint(context).json())
        }
        group.patch("projects/{project}/webhookEndpoints/{id}") { request, context in
            let (project, id) = (try context.pathParameter("project"), try context.pathParameter("id"))
            let body = try await JSONBody(request)
            var change = WebhookEndpoints.Change()
            change.url = try body.string("url")
            if let url = change.url { try await checkDestination(url) }
            change.eventTypes = try body.eventTypes()
            if body.has("description") { change.description = .some(try body.string("description", nullable: true)) }
            if let status = try body.string("status") {
                guard status == "enabled" || status == "disabled" else { throw JSONBody.invalid("status", "must be enabled or disabled.") }
                change.enabled = status == "enabled"
            }
            let requested = change
            guard let endpoint = try await pool.write(logger: context.logger, { try WebhookEndpoints.update(project: project, id: id, requested, on: $0) }) else {
                throw APIError.notFound("webhookEndpoint")
            }
            if let enabled = change.enabled {
                context.logger.notice("webhook endpoint \(enabled ? "enabled" : "disabled") by operator", metadata: ["endpoint": "\(id)"])
            }
            return Response.json(endpoint.json())
        }
        group.delete("projects/{project}/webhookEndpoints/{id}") { _, context in
            let (project, id) = (try context.pathParameter("project"), try context.pathParameter("id"))
            guard try await pool.write(logger: context.logger, { try WebhookEndpoints.delete(project: project, id: id, on: $0) }) else {
                throw APIError.notFound("webhookEndpoint")
            }
            context.logger.notice("webhook endpoint deleted", metadata: ["endpoint": "\(id)"])
            return Response(status: .noContent)
        }
        group.post("projects/{project}/webhookEndpoints/{id}/rotateSecret") { _, context in
            let (project, id) = (try context.pathParameter("project"), try context.pathParameter("id"))
            let secret = WebhookSecret.generate().encoded
            guard let endpoint = try await pool.write(logger: context.logger, {
                try WebhookEndpoints.rotateSecret(project: project, id: id, secret: secret, overlap: Self.rotationOverlap, on: $0)
            }) else {
                throw APIError.notFound("webhookEndpoint")
            }
            context.logger.notice("webhook endpoint secret rotated", metadata: ["endpoint": "\(id)"])
            return Response.json(endpoint.json(withSecret: true))
        }
        group.get("projects/{project}/webhookEndpoints/{id}/messages") { request, context in
            let endpoint = try await endpoint(context)
            let query = QueryParameters(request: request)
            let status = try query.string("status")
            if let status, !["pending", "delivered", "failed"].contains(status) {
                throw QueryParameters.invalid("status", "must be one of pending, delivered, failed.")
            }
            let page = try query.page()
            return Response.list(try await pool.read(logger: context.logger) {
                try WebhookMessages.list(endpoint: endpoint.id, status: status, page: page, on: $0)
            })
        }
        group.post("projects/{project}/webhookEndpoints/{id}/messages/{eventId}/resend") { _, context in
            let endpoint = try await endpoint(context)
            let eventID = try context.pathParameter("eventId")
            guard try await pool.write(logger: context.logger, {
                try WebhookMessages.resend(project: endpoint.project, endpoint: endpoint.id, eventID: eventID, on: $0)
            }) else {
                throw APIError.notFound("webhookMessage")
            }
            _ = try? await pool.withConnection { try $0.query("SELECT pg_notify($1, '')", [WebhookMessages.channel]) }
            context.logger.notice("webhook message resent by operator", metadata: ["endpoint": "\(endpoint.id)", "event": "\(eventID)"])
            return Response.json(["object": "webhookResend", "endpoint": .string(endpoint.id), "id": .string(eventID)], status: .accepted)
        }
        group.post("projects/{project}/webhookEndpoints/{id}/recover") { request, context in
            let endpoint = try await endpoint(context)
            let body = try await JSONBody(request)
            guard let text = try body.string("since") else { throw JSONBody.invalid("since", "is required.") }
            guard let since = Instant(rfc3339: text) else { throw JSONBody.invalid("since", "must be an RFC 3339 instant.") }
            let count = try await pool.write(logger: context.logger) { try WebhookMessages.recover(endpoint: endpoint.id, since: since, on: $0) }
            _ = try? await pool.withConnection { try $0.query("SELECT pg_notify($1, '')", [WebhookMessages.channel]) }
            context.logger.notice("failed webhook messages recovered by operator", metadata: ["endpoint": "\(endpoint.id)", "messages": "\(count)"])
            return Response.json(["object": "webhookRecovery", "endpoint": .string(endpoint.id), "since": .string(since.rfc3339),
                                  "messages": .int(count)], status: .accepted)
        }
    }

    private func endpoint(_ context: Context) async throws -> WebhookEndpoint {
        let (project, id) = (try context.pathParameter("project"), try context.pathParameter("id"))
        guard let endpoint = try await pool.read(logger: context.logger, { try WebhookEndpoints.get(project: project, id: id, on: $0) }) else {
            throw APIError.notFound("webhookEndpoint")
        }
        return endpoint
    }

    private func checkDestination(_ url: String) async throws {
        if let problem = await Destination.check(url, allowPrivate: allowPrivateDestinations) {
            throw APIError(status: .unprocessableContent, type: "invalid", code: "invalidUrl", message: "url: \(problem.description).",
                           hint: "Use an absolute https URL of a public host.")
        }
    }

    /// `we_` and 24 random letters and digits.
    static func newID() -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var generator = SystemRandomNumberGenerator()
        return "we_" + String((0..<24).map { _ in alphabet.randomElement(using: &generator)! })
    }
}

/// A JSON object request body (at most 64 KiB): 400 when it is not one, 422 naming a field of the
/// wrong type.
struct JSONBody {
    let object: JSONValue

    init(_ request: Request) async throws {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 64 * 1024)
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(status: .contentTooLarge, type: "payloadTooLarge", code: "bodyTooLarge", message: "The body is larger than 64 KiB.")
        }
        guard let value = try? JSONParser.parse(Array(buffer.readableBytesView)), case .object = value else {
            throw APIError(status: .badRequest, type: "malformed", code: "malformedJSON", message: "The body must be a JSON object.",
                           hint: "Send the fields as one JSON object.")
        }
        object = value
    }

    static func invalid(_ field: String, _ message: String) -> APIError {
        APIError(status: .unprocessableContent, type: "invalid", code: "invalidField", message: "\(field) \(message)", hint: "Check \(field).")
    }

    func has(_ field: String) -> Bool { object[field] != nil }

    /// A string field; nil when absent (or null, when `nullable`).
    func string(_ field: String, nullable: Bool = false) throws(APIError) -> String? {
        switch object[field] {
        case nil: return nil
        case .null?:
            guard nullable else { throw Self.invalid(field, "must be a string.") }
            return nil
        case .string(let value)?:
            guard !value.utf8.contains(0), value.utf8.count <= 2_048 else { throw Self.invalid(field, "must be text of at most 2,048 bytes.") }
            return value
        default: throw Self.invalid(field, "must be a string.")
        }
    }

    /// `eventTypes`: nil when absent (unchanged), `.some(nil)` when null (every type), else the
    /// list, each a known outbound type.
    func eventTypes() throws(APIError) -> [String]?? {
        guard let value = object["eventTypes"] else { return nil }
        if case .null = value { return .some(nil) }
        guard let items = value.arrayValue, !items.isEmpty else {
            throw Self.invalid("eventTypes", "must be null or a non-empty array of event types.")
        }
        var types: [String] = []
        for item in items {
            guard let type = item.stringValue, OutboxEntry.Kind.eventTypes.contains(type) else {
                throw Self.invalid("eventTypes", "must list only \(OutboxEntry.Kind.eventTypes.joined(separator: ", ")).")
            }
            if !types.contains(type) { types.append(type) }
        }
        return .some(types)
    }
}

extension PostgresPool {
    /// A write for an API handler, in a transaction: database failures are a 503, never a 500.
    func write<T: Sendable>(logger: Logger, _ body: @Sendable (isolated PostgresConnection) throws -> T) async throws -> T {
        try await read(logger: logger) { connection in try connection.withTransaction(body) }
    }
}
