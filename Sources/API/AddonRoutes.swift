import Hummingbird
import Ingest
import Lifecycle
import EventFormat
import Postgres
import Store

/// `GET /projects/{project}/subscriptionAddons[/{id}[/history]]`. Every query is scoped to the
/// path's project: another project's add-on is a 404, never a leak.
struct AddonRoutes<Context: RequestContext> {
    let pool: PostgresPool

    func register(on group: RouterGroup<Context>) {
        group.get("projects/{project}/subscriptionAddons") { request, context in
            let query = QueryParameters(request: request)
            let project = try context.pathParameter("project")
            let filter = AddonFilter(subscription: try query.string("subscription"), addon: try query.string("addon"),
                                     status: try query.choice("status", AddonStatus.self))
            let page = try query.page()
            if QueryParameters.matchesNothing(project, filter.subscription, filter.addon) {
                return Response.list(Page(items: [], moreItemsAfter: nil, moreItemsBefore: nil))
            }
            return Response.list(try await pool.read(logger: context.logger) {
                try AddonQueries.list(project: project, filter: filter, page: page, on: $0)
            })
        }
        group.get("projects/{project}/subscriptionAddons/{id}") { _, context in
            let (project, id) = (try context.pathParameter("project"), try context.pathParameter("id"))
            guard let addon = try await pool.read(logger: context.logger, { try AddonQueries.get(project: project, id: id, on: $0) }) else {
                throw APIError.notFound("subscriptionAddon")
            }
            return Response.json(addon)
        }
        group.get("projects/{project}/subscriptionAddons/{id}/history") { _, context in
            let (project, id) = (try context.pathParameter("project"), try context.pathParameter("id"))
            guard let history = try await pool.read(logger: context.logger, { try AddonQueries.history(project: project, id: id, on: $0) }) else {
                throw APIError.notFound("subscriptionAddon")
            }
            return Response.json([
                "object": "subscriptionAddonHistory",
                "subscriptionAddon": history.addon,
                "items": .array(history.entries.map(Self.json)),
            ])
        }
    }

    static func json(_ entry: AddonHistoryEntry) -> JSONValue {
        switch entry {
        case .fact(let eventID, let type, let time, let status):
            return ["object": "fact", "time": .string(time.rfc3339), "event": .string(eventID), "type": .string(type), "eventStatus": .string(status)]
        case .transition(let kind, let at, let endReason, let recordedAt):
            return ["object": "transition", "time": .string(at.rfc3339), "kind": .string(kind),
                    "endReason": endReason.map(JSONValue.string) ?? .null, "recordedAt": .string(recordedAt.rfc3339)]
        }
    }
}
