import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import Lifecycle
import EventFormat
import Postgres
import Store
import TestSupport
import Testing

/// The served router (`HTTPApplication`) on a fresh migrated database, with rows written
/// directly so each test controls exactly what the API has to show.
struct APIHarness {
    static let token = "tok_test_7f3a"
    let configuration: PostgresConfiguration
    let pool: PostgresPool
    let app: Application<RouterResponder<BasicRequestContext>>

    init(_ label: String, migrate: Bool = true, apiToken: String? = APIHarness.token) async throws {
        configuration = try await TestDatabase.create(label)
        pool = PostgresPool(configuration: configuration, size: 3, logger: TestDatabase.logger)
        if migrate { try await Migrator(logger: TestDatabase.logger).migrate(pool) }
        let router = HTTPApplication.router(pool: pool, committer: GroupCommitter(pool: pool, logger: TestDatabase.logger),
                                            verifier: nil, apiToken: apiToken)
        app = Application(router: router)
    }

    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: String
        var json: JSONValue? { try? JSONValue(parsing: body) }
        /// The ids of a list's items, in order.
        var ids: [String] { json?["items"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? [] }
        var moreAfter: String? { json?["moreItemsAfter"]?.stringValue }
        var moreBefore: String? { json?["moreItemsBefore"]?.stringValue }
    }

    func request(_ uri: String, method: HTTPRequest.Method = .get, token: String? = APIHarness.token,
                 authorization: String? = nil) async throws -> Reply {
        try await app.test(.router) { client in
            var headers = HTTPFields()
            if let authorization { headers[.authorization] = authorization } else if let token { headers[.authorization] = "Bearer \(token)" }
            return try await client.execute(uri: uri, method: method, headers: headers) { response in
                Reply(status: response.status, headers: response.headers, body: String(buffer: response.body))
            }
        }
    }

    /// An add-on row as a worker would have written it; rows get `seq` in insertion order.
    func insertAddon(project: String = "gigs", id: String, subscription: String = "sub_1", addon: String = "add_japan",
                     status: String = "pending") async throws {
        try await pool.withConnection { connection in
            try connection.query("""
                INSERT INTO subscription_addons (project, id, subscription, addon_id, addon, status, created_at,
                    activated_at, period_number, period_start, period_end)
                VALUES ($1, $2, $3, $4, jsonb_build_object('object', 'addon', 'id', $4::text), $5, '2025-12-15T10:30:00Z',
                    CASE WHEN $5 = 'pending' THEN NULL ELSE timestamptz '2025-12-16T08:00:00Z' END,
                    CASE WHEN $5 = 'active' THEN 1 END,
                    CASE WHEN $5 = 'active' THEN timestamptz '2025-12-16T08:00:00Z' END,
                    CASE WHEN $5 = 'active' THEN timestamptz '2025-12-23T08:00:00Z' END)
                """, [project, id, subscription, addon, status])
        }
    }

    /// A stored event as ingest would have written it.
    func insertEvent(id: String, body: String = "{}", subscription: String = "sub_1", status: String = "pending",
                     type: String = "com.gigs.invoice.paid", time: String = "2025-12-15T10:30:00Z", error: String? = nil) async throws {
        try await pool.withConnection { connection in
            try connection.query("""
                INSERT INTO events (id, type, project, subscription, time, body, status, attempts, last_error)
                VALUES ($1, $2, 'gigs', $3, $4::timestamptz, $5, $6, CASE WHEN $6 = 'failed' THEN 8 ELSE 0 END, $7)
                """, [id, type, subscription, time, body, status, error])
        }
    }
}
