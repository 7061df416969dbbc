import Hummingbird
import Ingest
import Synchronization

/// The served routes as (method, path pattern), filled in once the router is built.
final class RouteTable: Sendable {
    private let routes = Mutex<[(method: HTTPRequest.Method, segments: [Substring])]>([])

    func set(_ routes: [(HTTPRequest.Method, String)]) {
        self.routes.withLock { $0 = routes.map { ($0.0, $0.1.split(separator: "/")) } }
    }

    /// The methods served on `path`, matching `{name}` and `:name` segments to any segment.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        return routes.withLock { routes in
            routes.filter { route in
                route.segments.count == segments.count && zip(route.segments, segments).allSatisfy { pattern, segment in
                    pattern == segment || pattern.hasPrefix("{") || pattern.hasPrefix(":")
                }
            }.map(\.method)
        }
    }
}

/// Hummingbird answers 404 for a known path with an unserved method (any method, even `QUERY`);
/// this turns that into 405 with `Allow`, as HTTP says.
struct MethodNotAllowed<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPResponseError where error.status == .notFound && !(error is APIError) {
            let allowed = routes.methods(for: request.uri.path)
            guard !allowed.isEmpty else { throw error }
            let allow = Set(allowed.map(\.rawValue)).sorted().joined(separator: ", ")
            var refusal = APIError(status: .methodNotAllowed, type: "methodNotAllowed", message: "Allowed methods: \(allow).")
            refusal.allow = allow
            throw refusal
        }
    }
}
