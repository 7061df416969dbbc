import Hummingbird
import Ingest
import Lifecycle
import EventFormat
import Postgres
import Store

/// `GET /events/{id}`, `GET /events?status=failed`, `POST /events/{id}/retry`.
struct EventRoutes<Context: RequestContext> {
    let pool: PostgresPool
    /// The lists and lookups (a hot standby with READ_DATABASE_URL); the retry reads the primary.
    let reads: PostgresPool

    /// The statuses `GET /events` lists (see `EventQueries.listFailed`).
    enum ListedStatus: String, CaseIterable { case failed }

    func register(on group: RouterGroup<Context>) {
        group.get("events") { request, context in
            let query = QueryParameters(request: request)
            guard try query.choice("status", ListedStatus.self) != nil else {
                throw QueryParameters.invalid("status", "is required; only failed events are listed (look up others by id).")
            }
            let page = try query.page()
            return Response.list(try await reads.read(logger: context.logger) { try EventQueries.listFailed(page: page, on: $0) })
        }
        group.get("events/{id}") { _, context in
            let id = try context.pathParameter("id")
            guard let record = try await reads.read(logger: context.logger, { try EventQueries.get(id: id, on: $0) }) else {
                throw APIError.notFound("event")
            }
            return Response.json(record)
        }
        group.post("events/{id}/retry") { _, context in
            let id = try context.pathParameter("id")
            let outcome = try await pool.read(logger: context.logger) { connection in
                try connection.withTransaction { try EventRetry.retry(id: id, on: $0) }
            }
            switch outcome {
            case .notFound:
                throw APIError.notFound("event")
            case .notFailed(let status):
                throw APIError(status: .conflict, type: "conflict", code: "notFailed",
                               message: "The event is \(status); only failed events are retried.", hint: "Check the event's status first.")
            case .addonOwnedElsewhere(let owner):
                throw APIError(status: .conflict, type: "conflict", code: "subscriptionAddonConflict",
                               message: "The event attaches an add-on that belongs to subscription \(owner); it cannot be applied.",
                               hint: "An add-on is attached to one subscription.")
            case .retried:
                context.logger.notice("event retried by operator", metadata: ["event": "\(id)"])
                guard let record = try await pool.read(logger: context.logger, { try EventQueries.get(id: id, on: $0) }) else {
                    throw APIError.notFound("event")
                }
                return Response.json(record, status: .accepted)
            }
        }
    }
}
