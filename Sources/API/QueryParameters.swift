import Foundation
import Hummingbird
import Ingest
import Store

/// Reading and validating query and path parameters. A bad value is a 422 naming the parameter.
struct QueryParameters {
    let request: Request

    static func invalid(_ name: String, _ message: String) -> APIError {
        APIError(status: .unprocessableContent, type: "invalid", code: "invalidParameter",
                 message: "\(name): \(message)", hint: "Check the \(name) query parameter.")
    }

    /// The single value of `name`, if given. Repeating a parameter is ambiguous, so it is refused.
    func string(_ name: String) throws(APIError) -> String? {
        let values = request.uri.queryParameters.getAll(name)
        guard values.count <= 1 else { throw Self.invalid(name, "give it at most once.") }
        guard let value = values.first else { return nil }
        guard !value.isEmpty else { throw Self.invalid(name, "must not be empty.") }
        return value
    }

    /// `limit` (1–200, default 10) and the cursors `after` and `before` (both: the items between).
    func page() throws(APIError) -> PageRequest {
        var limit = 10
        if let text = try string("limit") {
            guard let value = Int(text), (1...200).contains(value) else { throw Self.invalid("limit", "must be an integer from 1 to 200.") }
            limit = value
        }
        let page = PageRequest(limit: limit, after: try string("after"), before: try string("before"))
        // No stored id holds NUL (PostgreSQL text cannot), so such a cursor names no item.
        for (name, cursor) in [("after", page.after), ("before", page.before)] where cursor?.utf8.contains(0) == true {
            throw UnknownCursor(parameter: name).apiError
        }
        return page
    }

    /// True when a filter value holds NUL: no stored value can, so the filter matches nothing
    /// (and PostgreSQL would refuse the value).
    static func matchesNothing(_ values: String?...) -> Bool {
        values.contains { $0?.utf8.contains(0) == true }
    }

    /// One of `allowed`, if given.
    func choice<T: RawRepresentable>(_ name: String, _: T.Type) throws(APIError) -> T? where T: CaseIterable, T.RawValue == String {
        guard let text = try string(name) else { return nil }
        guard let value = T(rawValue: text) else {
            throw Self.invalid(name, "must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return value
    }
}

extension UnknownCursor {
    /// A cursor is an id like any other: unknown is a 404, naming the parameter.
    var apiError: APIError {
        APIError(status: .notFound, type: "notFound", code: "unknownCursor",
                 message: "\(parameter): no item with this id in this list.", hint: "Use an id from moreItemsAfter or moreItemsBefore.")
    }
}

extension RequestContext {
    /// A path parameter, percent-decoded (Hummingbird matches the raw path).
    func pathParameter(_ name: String) throws(APIError) -> String {
        // No stored id is empty or holds NUL, so such a path names nothing.
        guard let raw = parameters.get(name), let value = raw.removingPercentEncoding, !value.isEmpty, !value.utf8.contains(0) else {
            throw APIError(status: .notFound, type: "notFound", message: "No such resource.")
        }
        return value
    }
}
