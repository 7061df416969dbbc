import Foundation
import HTTPTypes
import Hummingbird
import Lifecycle
import EventFormat

/// The provider's error object: `{"object":"error","type","code","message","hint"}`, as an
/// `HTTPResponseError` so handlers can simply throw it.
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var type: String
    public var code: String?
    public var message: String
    public var hint: String?
    /// Seconds a client should wait before retrying (503).
    public var retryAfter: Int?
    /// The methods a 405's resource does allow (`Allow` header).
    public var allow: String?

    public init(status: HTTPResponse.Status, type: String, code: String? = nil, message: String, hint: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.hint = hint
        self.retryAfter = retryAfter
    }

    /// The JSON body: the core's error object, so every string is escaped correctly.
    public var body: [UInt8] {
        JSONValue.errorObject(type: type, code: code, message: message, hint: hint).jsonBytes
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if let allow { headers[.allow] = allow }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension APIError {
    public static func unauthenticated(_ code: String, _ message: String, hint: String? = nil) -> APIError {
        APIError(status: .unauthorized, type: "unauthenticated", code: code, message: message, hint: hint)
    }

    public static func unavailable(_ message: String) -> APIError {
        APIError(
            status: .serviceUnavailable, type: "unavailable", code: "databaseUnavailable", message: message,
            hint: "The event was not stored; retry later.", retryAfter: 5)
    }

    /// The request's body did not arrive within its deadline (`HTTPLimits`).
    public static let requestTimeout = APIError(
        status: .requestTimeout, type: "requestTimeout", code: "bodyTimeout",
        message: "The request body did not arrive in time.", hint: "Send the whole body at once; the connection is closed.")

    /// More connections are open than `HTTPLimits.maxConnections`.
    public static let tooManyConnections = APIError(
        status: .serviceUnavailable, type: "unavailable", code: "tooManyConnections",
        message: "The server has too many open connections.", hint: "Retry later, reusing one connection.", retryAfter: 1)

    /// Bodies being read would exceed `HTTPLimits.unsignedBodyBudget`.
    public static let bodyBudgetExhausted = APIError(
        status: .serviceUnavailable, type: "unavailable", code: "busy",
        message: "The server is reading too many request bodies at once.", hint: "Retry later.", retryAfter: 1)

    /// The core's decoding failure as the error object: its own status (400 `malformed`, 422
    /// `invalid`), code, message and hint, with a code and hint added where the core has none.
    init(_ failure: DecodingFailure) {
        let hint = failure.hint.flatMap { $0.isEmpty ? nil : $0 }
        self.init(
            status: HTTPResponse.Status(code: failure.httpStatus), type: failure.errorType,
            code: failure.code ?? "malformedJSON", message: failure.message,
            hint: hint ?? failure.field.map { "Check \($0)." } ?? "The body must be one JSON object: the event envelope.")
    }
}
