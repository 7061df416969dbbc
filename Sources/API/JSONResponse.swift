import Hummingbird
import Ingest
import Lifecycle
import EventFormat
import Logging
import Postgres
import Store

extension Response {
    /// A JSON body with the given status.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: value.jsonBytes)))
    }

    /// The provider's list object.
    static func list(_ page: Page<JSONValue>) -> Response {
        .json([
            "object": "list",
            "items": .array(page.items),
            "moreItemsAfter": page.moreItemsAfter.map(JSONValue.string) ?? .null,
            "moreItemsBefore": page.moreItemsBefore.map(JSONValue.string) ?? .null,
        ])
    }
}

extension APIError {
    static func notFound(_ what: String) -> APIError {
        APIError(status: .notFound, type: "notFound", code: "unknownId", message: "No \(what) with this id.")
    }

    static let databaseUnavailable = APIError(
        status: .serviceUnavailable, type: "unavailable", code: "databaseUnavailable",
        message: "The database is unavailable.", hint: "Retry later.", retryAfter: 5)
}

extension PostgresPool {
    /// A read for an API handler: a cursor error becomes its 422, any database failure a 503.
    func read<T: Sendable>(logger: Logger, _ body: @Sendable (isolated PostgresConnection) throws -> T) async throws -> T {
        do {
            return try await withConnection(body)
        } catch let error as UnknownCursor {
            throw error.apiError
        } catch let error as APIError {
            throw error
        } catch let error as PostgresError where error.isDataError {
            // A value the database refused (validation should have caught it): the request's fault.
            logger.notice("API read refused a value", metadata: ["error": "\(error)"])
            throw APIError(status: .unprocessableContent, type: "invalid", code: "invalidParameter",
                           message: "A parameter's value cannot be used.", hint: "Check the path and query parameters.")
        } catch {
            logger.warning("API read failed", metadata: ["error": "\(error)"])
            throw APIError.databaseUnavailable
        }
    }
}
