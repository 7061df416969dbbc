import Foundation
import Hummingbird
import Ingest
import Lifecycle
import EventFormat
import Postgres
import Replay
import Store

/// `GET /projects/{project}/subscriptions/{subscription}[/state|/allowances]` (SPEC §7). The state
/// as of an instant is the replay's fold over the stored log, so it answers exactly what
/// `export --subscription S | replay - --as-of T` prints; the allowances are that state in
/// consumption order.
struct SubscriptionRoutes<Context: RequestContext> {
    let pool: PostgresPool

    func register(on group: RouterGroup<Context>) {
        group.get("projects/{project}/subscriptions/{subscription}") { _, context in
            let (project, subscription) = (try context.pathParameter("project"), try context.pathParameter("subscription"))
            guard let summary = try await pool.read(logger: context.logger, {
                try SubscriptionQueries.summary(project: project, subscription: subscription, on: $0)
            }) else {
                throw APIError.notFound("subscription")
            }
            return Response.json([
                "object": "subscription", "id": .string(subscription), "addons": .array(summary.addons),
                "pendingWork": .bool(summary.pendingWork), "failedEvents": .int(summary.failedEvents),
            ])
        }
        group.get("projects/{project}/subscriptions/{subscription}/state") { request, context in
            let query = QueryParameters(request: request)
            let asOf = try query.instant("asOf") ?? Self.now()
            let (project, subscription) = (try context.pathParameter("project"), try context.pathParameter("subscription"))
            let addons = try await states(project: project, subscription: subscription, asOf: asOf, context: context)
            return Response.json([
                "object": "subscriptionState", "subscription": .string(subscription), "asOf": .string(asOf.rfc3339),
                "addons": .array(addons.map(\.json)),
            ])
        }
        group.get("projects/{project}/subscriptions/{subscription}/allowances") { request, context in
            let query = QueryParameters(request: request)
            let at = try query.instant("at") ?? Self.now()
            let country = try query.string("country")
            if let country, !CountryCodes.isAccepted(country) {
                throw QueryParameters.invalid("country", "must be an ISO 3166-1 alpha-2 code in uppercase, such as JP.")
            }
            let (project, subscription) = (try context.pathParameter("project"), try context.pathParameter("subscription"))
            let addons = try await states(project: project, subscription: subscription, asOf: at, context: context)
            let allowances = Lifecycle.allowances(addons, country: country)
            return Response.list(Page(items: allowances.map(\.json), moreItemsAfter: nil, moreItemsBefore: nil))
        }
    }

    /// The subscription's add-ons folded from the facts known by `asOf`, evaluated at `asOf`.
    private func states(project: String, subscription: String, asOf: Instant, context: Context) async throws -> [AddonState] {
        let read = try await pool.read(logger: context.logger) { connection in
            do {
                return try SubscriptionQueries.eventBodies(project: project, subscription: subscription, on: connection)
            } catch is SubscriptionQueries.TooManyEvents {
                throw APIError(status: .unprocessableContent, type: "invalid", code: "tooManyEvents",
                               message: "subscription: more than \(SubscriptionQueries.maximumEvents) events, too many to fold on line.",
                               hint: "Use addon-lifecycle export --subscription \(subscription) | addon-lifecycle replay - --as-of T.")
            }
        }
        guard let bodies = read else { throw APIError.notFound("subscription") }
        return ReplayLog.states(ofBodies: bodies, project: project, subscription: subscription, asOf: asOf)
    }

    static func now() -> Instant {
        Instant(microseconds: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down)))
    }
}

extension QueryParameters {
    /// An RFC 3339 instant, if given.
    func instant(_ name: String) throws(APIError) -> Instant? {
        guard let text = try string(name) else { return nil }
        guard let instant = Instant(rfc3339: text) else {
            throw Self.invalid(name, "must be an RFC 3339 instant, such as 2025-12-15T10:30:00Z.")
        }
        return instant
    }
}
