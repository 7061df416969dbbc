import Lifecycle
import EventFormat
import Postgres

/// An operator's endpoint as stored (SPEC §6), secrets included: only the delivery and the create
/// and rotate answers ever show a secret.
public struct WebhookEndpoint: Sendable, Equatable {
    public var id: String
    public var project: String
    public var url: String
    /// Nil: every outbound type.
    public var eventTypes: [String]?
    public var description: String?
    public var enabled: Bool
    /// `operator`, `gone` or `failing` while disabled.
    public var disabledReason: String?
    public var secret: String
    public var previousSecret: String?
    public var previousSecretExpiresAt: Instant?
    public var createdAt: Instant

    /// The SPEC §6 `webhookEndpoint` object; `secret` only when `withSecret`.
    public func json(withSecret: Bool = false) -> JSONValue {
        var members: [JSONMember] = [
            JSONMember("object", "webhookEndpoint"),
            JSONMember("id", .string(id)),
            JSONMember("url", .string(url)),
            JSONMember("eventTypes", eventTypes.map { .array($0.map(JSONValue.string)) } ?? .null),
            JSONMember("description", description.map(JSONValue.string) ?? .null),
            JSONMember("status", .string(enabled ? "enabled" : "disabled")),
            JSONMember("disabledReason", disabledReason.map(JSONValue.string) ?? .null),
            JSONMember("createdAt", .string(createdAt.rfc3339)),
        ]
        if withSecret { members.append(JSONMember("secret", .string(secret))) }
        return .object(members)
    }
}

/// The SQL of the endpoints, always scoped to one project.
public enum WebhookEndpoints {
    static let columns = """
        id, seq, project, url, array_to_json(event_types)::text, description, status, disabled_reason, secret, previous_secret,
        previous_secret_expires_at, created_at
        """

    public static func create(id: String, project: String, url: String, eventTypes: [String]?, description: String?, secret: String,
                              on connection: isolated PostgresConnection) throws -> WebhookEndpoint {
        let row = try connection.query("""
            INSERT INTO webhook_endpoints (id, project, url, event_types, description, secret) VALUES ($1, $2, $3, $4, $5, $6)
            RETURNING \(columns)
            """, [id, project, url, eventTypes, description, secret])[0]
        return try endpoint(row)
    }

    public static func get(project: String, id: String, on connection: isolated PostgresConnection) throws -> WebhookEndpoint? {
        try connection.query("SELECT \(columns) FROM webhook_endpoints WHERE project = $1 AND id = $2", [project, id]).first.map(endpoint)
    }

    public static func list(project: String, page: PageRequest, on connection: isolated PostgresConnection) throws -> Page<WebhookEndpoint> {
        let keyset = Keyset(select: columns, table: "webhook_endpoints", conditions: ["project = $1"], binds: [project], cursorScope: 1)
        return try keyset.page(page, on: connection, decode: endpoint)
    }

    /// What `PATCH` may change; nil fields stay as they are (`eventTypes: .some(nil)` means all).
    public struct Change: Sendable {
        public var url: String?
        public var eventTypes: [String]??
        public var description: String??
        public var enabled: Bool?

        public init(url: String? = nil, eventTypes: [String]?? = nil, description: String?? = nil, enabled: Bool? = nil) {
            self.url = url
            self.eventTypes = eventTypes
            self.description = description
            self.enabled = enabled
        }
    }

    /// Applies `change`. Disabling sets `disabledReason` to `operator`; enabling clears it and makes
    /// the oldest waiting message of every queue claimable again, so they go out in order.
    /// A change without `status` leaves the status alone, whatever delivery did to it meanwhile.
    /// Run in a transaction: the endpoint's row stays locked from the read to the write.
    public static func update(project: String, id: String, _ change: Change, on connection: isolated PostgresConnection) throws -> WebhookEndpoint? {
        guard let current = try connection.query("SELECT \(columns) FROM webhook_endpoints WHERE project = $1 AND id = $2 FOR UPDATE",
                                                 [project, id]).first.map(endpoint) else { return nil }
        let enabled = change.enabled ?? current.enabled
        let row = try connection.query("""
            UPDATE webhook_endpoints SET url = $3, event_types = $4, description = $5,
                status = CASE WHEN $6::bool IS NULL THEN status WHEN $6 THEN 'enabled' ELSE 'disabled' END,
                disabled_reason = CASE WHEN $6::bool IS NULL THEN disabled_reason WHEN $6 THEN NULL ELSE 'operator' END,
                failing_since = CASE WHEN $6 AND status = 'disabled' THEN NULL ELSE failing_since END
            WHERE project = $1 AND id = $2 RETURNING \(columns)
            """, [project, id, change.url ?? current.url, change.eventTypes ?? current.eventTypes,
                  change.description ?? current.description, change.enabled])[0]
        if enabled != current.enabled {
            if enabled {
                try WebhookMessages.resumeQueues(endpoint: id, on: connection)
            } else {
                try WebhookMessages.holdQueues(endpoint: id, on: connection)
            }
        }
        return try endpoint(row)
    }

    /// Deletes the endpoint and its messages (and their attempts); false for an unknown one.
    public static func delete(project: String, id: String, on connection: isolated PostgresConnection) throws -> Bool {
        // Scoped to its project first: another project's endpoint (and its log) is untouched.
        guard try !connection.query("SELECT FROM webhook_endpoints WHERE project = $1 AND id = $2 FOR UPDATE", [project, id]).isEmpty else {
            return false
        }
        // Attempts have no key to cascade on; the messages go with the endpoint (ON DELETE CASCADE).
        try connection.query("""
            DELETE FROM webhook_attempts WHERE message_seq IN (SELECT seq FROM webhook_messages WHERE endpoint_id = $1)
            """, [id])
        try connection.query("DELETE FROM webhook_endpoints WHERE id = $1", [id])
        return true
    }

    /// A new secret; the previous one keeps signing too until `overlap` has passed.
    public static func rotateSecret(project: String, id: String, secret: String, overlap: Duration,
                                    on connection: isolated PostgresConnection) throws -> WebhookEndpoint? {
        try connection.query("""
            UPDATE webhook_endpoints SET previous_secret = secret, secret = $3,
                previous_secret_expires_at = now() + make_interval(secs => $4)
            WHERE project = $1 AND id = $2 RETURNING \(columns)
            """, [project, id, secret, Double(overlap.components.seconds)]).first.map(endpoint)
    }

    /// Endpoints disabled now, for `/metrics`.
    public static func disabledCount(on connection: isolated PostgresConnection) throws -> Int {
        try connection.query("SELECT count(*) FROM webhook_endpoints WHERE status = 'disabled'")[0].decode(Int.self, column: 0)
    }

    static func endpoint(_ row: PostgresRow) throws -> WebhookEndpoint {
        let (id, _, project, url, eventTypesJSON, description, status, reason) =
            try row.decode((String, Int64, String, String, String?, String?, String, String?).self)
        let eventTypes = try eventTypesJSON.map { try JSONValue(parsing: $0).arrayValue?.compactMap(\.stringValue) ?? [] }
        let (secret, previous, expires, created) = (try row.decode(String.self, column: 8), try row.decode(String?.self, column: 9),
                                                    try row.decode(PostgresTimestamp?.self, column: 10),
                                                    try row.decode(PostgresTimestamp.self, column: 11))
        return WebhookEndpoint(id: id, project: project, url: url, eventTypes: eventTypes, description: description,
                               enabled: status == "enabled", disabledReason: reason, secret: secret, previousSecret: previous,
                               previousSecretExpiresAt: expires.map(Instant.init), createdAt: Instant(created))
    }
}
