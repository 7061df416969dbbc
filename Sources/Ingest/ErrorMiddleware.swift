import Hummingbird
import Logging

/// Every error leaves as the provider's error object: our `APIError`s as they are, Hummingbird's
/// own (unknown route, body too large, …) translated, and anything unexpected as a logged 500
/// that says nothing about internals.
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPResponseError {
            throw APIError(translating: error.status)
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError(status: .internalServerError, type: "internal", message: "Internal error.")
        }
    }
}

extension APIError {
    init(translating status: HTTPResponse.Status) {
        switch status {
        case .notFound:
            self.init(status: status, type: "notFound", message: "No such resource.")
        case .methodNotAllowed:
            self.init(status: status, type: "methodNotAllowed", message: "Method not allowed on this resource.")
        case .contentTooLarge:
            self = .payloadTooLarge
        case .requestTimeout:
            self = .requestTimeout
        default:
            self.init(status: status, type: status.code < 500 ? "invalid" : "internal", message: status.reasonPhrase)
        }
    }

    static let payloadTooLarge = APIError(
        status: .contentTooLarge, type: "payloadTooLarge", code: "bodyTooLarge",
        message: "The body is larger than 256 KiB.", hint: "Send one event per request.")
}
