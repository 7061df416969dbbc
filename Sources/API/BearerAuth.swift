import Crypto
import Hummingbird
import Ingest

/// `Authorization: Bearer $API_TOKEN` on the read and operator API. Both tokens are hashed first
/// and the digests compared in constant time, so neither the length nor a matching prefix of the
/// token shows in the response time.
public struct BearerAuth<Context: RequestContext>: RouterMiddleware {
    private let expected: [UInt8]?

    /// With no token configured every request is refused: the API is off, never open.
    public init(token: String?) {
        expected = token.flatMap { $0.isEmpty ? nil : Array(SHA256.hash(data: Array($0.utf8))) }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let expected else {
            throw APIError.unauthenticated("apiDisabled", "No API_TOKEN is configured on this server.", hint: "Set API_TOKEN and restart.")
        }
        guard let header = request.headers[.authorization], header.utf8.count > 7,
              header.prefix(7).lowercased() == "bearer " else {
            throw APIError.unauthenticated("missingToken", "An Authorization: Bearer token is required.", hint: "Send Authorization: Bearer $API_TOKEN.")
        }
        let presented = Array(SHA256.hash(data: Array(header.utf8.dropFirst(7))))
        var difference: UInt8 = 0
        for index in expected.indices { difference |= expected[index] ^ presented[index] }
        guard difference == 0 else {
            throw APIError.unauthenticated("invalidToken", "The bearer token is not valid.", hint: "Check API_TOKEN.")
        }
        return try await next(request, context)
    }
}
