import Foundation
import Lifecycle
import EventFormat
import Postgres

/// The SQL of outbound messages (SPEC §6).
///
/// The messages of one (endpoint, subscription) are a queue in `seq` order. Only its head, the
/// oldest pending message, has a `next_attempt_at`, and only while the endpoint is enabled: a claim
/// is an index range on `next_attempt_at`, and a message is never attempted while an earlier one of
/// its queue waits for a retry. When the head is delivered or finally fails, the next one becomes
/// the head.
///
/// A worker adding a message behind a pending one and a delivery finishing that one must not both
/// decide that the other will make the new message the head. The worker locks the pending messages
/// of the queues it adds to (`FOR SHARE`), which a delivery's update of them waits for: either the
/// worker sees the head still pending and the delivery, updating it after the worker's commit,
/// then sees the new message and promotes it; or the delivery updated it first and the worker, once
/// that commits, no longer sees it pending and makes its message the head. Statements that lock
/// several messages lock them in `seq` order, so none waits for another in a cycle. An operator's
/// enable, resend or recover, which can create a head where no message is pending, first waits for
/// every writer of messages (`lockQueuesForOperator`).
public enum WebhookMessages {
    /// The channel deliverers LISTEN on; a NOTIFY is a hint that a message became claimable.
    public static let channel = "addon_lifecycle_delivery"

    /// The endpoints of these projects and their event types (nil: every type), by project; empty
    /// when none has an endpoint. Read once per batch: the messages are created for these endpoints
    /// only, so one created meanwhile starts with the next batch, never with an entry written
    /// without a body.
    static func endpoints(projects: [String], on connection: isolated PostgresConnection) throws -> [String: [(id: String, types: [String]?)]] {
        var endpoints: [String: [(id: String, types: [String]?)]] = [:]
        for row in try connection.query("""
            SELECT project, id, array_to_json(event_types)::text FROM webhook_endpoints WHERE project = ANY($1)
            """, [projects]) {
            let (project, id, json) = try row.decode((String, String, String?).self)
            endpoints[project, default: []].append((id, try json.map { try JSONValue(parsing: $0).arrayValue?.compactMap(\.stringValue) ?? [] }))
        }
        return endpoints
    }

    /// Messages for outbox entries just written (in log order, each with its event id and body),
    /// one per endpoint of `endpoints` in their project whose event types match; returns how many
    /// are claimable now.
    static func create(for entries: [(seq: Int64, project: String, subscription: String, type: String)], endpoints: [String],
                       on connection: isolated PostgresConnection) throws -> Int {
        let binds: [any PostgresEncodable] = [entries.map(\.seq), entries.map(\.project), entries.map(\.subscription), entries.map(\.type), endpoints]
        // The queues these messages join that have a pending message, whose rows stay locked until
        // we commit (see above). Usually none: a message rarely waits behind another.
        let waiting = try connection.query("""
            SELECT m.endpoint_id, m.subscription FROM webhook_messages m
            JOIN (SELECT DISTINCT e.id, t.subscription
                  FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[]) AS t(seq, project, subscription, type)
                  JOIN webhook_endpoints e ON e.project = t.project AND e.id = ANY ($5) AND (e.event_types IS NULL OR t.type = ANY (e.event_types))) q
              ON m.endpoint_id = q.id AND m.subscription = q.subscription
            WHERE m.status = 'pending'
            ORDER BY m.seq
            FOR SHARE OF m
            """, binds).map { try $0.decode((String, String).self) }
        return try connection.query("""
            INSERT INTO webhook_messages (endpoint_id, transition_seq, subscription, next_attempt_at)
            SELECT endpoint_id, seq, subscription,
                   CASE WHEN enabled AND position = 1 AND NOT EXISTS (
                       SELECT FROM unnest($6::text[], $7::text[]) AS w(endpoint_id, subscription)
                       WHERE w.endpoint_id = targets.endpoint_id AND w.subscription = targets.subscription)
                   THEN now() END
            FROM (
                SELECT e.id AS endpoint_id, e.status = 'enabled' AS enabled, t.seq, t.subscription, t.position_in_log,
                       row_number() OVER (PARTITION BY e.id, t.subscription ORDER BY t.position_in_log) AS position
                FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(seq, project, subscription, type, position_in_log)
                JOIN webhook_endpoints e ON e.project = t.project AND e.id = ANY ($5) AND (e.event_types IS NULL OR t.type = ANY (e.event_types))
            ) targets
            ORDER BY position_in_log, endpoint_id
            ON CONFLICT ON CONSTRAINT webhook_messages_once DO NOTHING
            RETURNING next_attempt_at IS NOT NULL
            """, binds + [waiting.map(\.0), waiting.map(\.1)]).filter { try $0.decode(Bool.self, column: 0) }.count
    }

    /// A message claimed for one attempt, with what sending it needs.
    public struct Claimed: Sendable {
        public var seq: Int64
        public var claim: Int64
        public var endpoint: String
        public var subscription: String
        /// Attempts before this one.
        public var attempts: Int
        public var eventID: String
        public var payload: String
        public var url: String
        /// The current secret, then the previous one while it still signs.
        public var secrets: [String]
    }

    /// Claims up to `limit` due messages for one attempt each: their `next_attempt_at` moves past
    /// the lease, so a process killed mid-attempt leaves them to be claimed again after it.
    /// Messages of an endpoint disabled meanwhile stop being claimable. Run outside a transaction.
    /// At most `perEndpoint` messages of one endpoint, less what `inFlight` says this process
    /// already has of it: a slow endpoint never takes every slot. Rows locked but not taken are
    /// let go when the statement ends.
    public static func claim(limit: Int, lease: Duration, perEndpoint: Int = .max, inFlight: [String: Int] = [:],
                             on connection: isolated PostgresConnection) throws -> [Claimed] {
        let token = Int64.random(in: 1...Int64.max)
        let busy = inFlight.filter { $0.value >= perEndpoint }.map(\.key)
        let rows = try connection.query("""
            WITH due AS (
                SELECT seq, endpoint_id FROM webhook_messages WHERE next_attempt_at <= now() AND endpoint_id <> ALL ($4)
                ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
            ), taken AS (
                SELECT due.seq FROM (SELECT seq, endpoint_id, row_number() OVER (PARTITION BY endpoint_id ORDER BY seq) AS n FROM due) due
                LEFT JOIN unnest($5::text[], $6::int8[]) AS f(endpoint_id, in_flight) USING (endpoint_id)
                WHERE due.n <= $7 - coalesce(f.in_flight, 0)
            )
            UPDATE webhook_messages m
            SET next_attempt_at = CASE WHEN e.status = 'enabled' THEN now() + make_interval(secs => $2) END,
                claim = CASE WHEN e.status = 'enabled' THEN $3::int8 END
            FROM taken, webhook_endpoints e, transitions t
            WHERE m.seq = taken.seq AND e.id = m.endpoint_id AND t.seq = m.transition_seq
            RETURNING m.seq, m.endpoint_id, m.subscription, m.attempts, t.event_id, t.payload, e.url, e.secret,
                      CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END, e.status = 'enabled'
            """, [limit, lease.seconds, token, busy, Array(inFlight.keys), inFlight.keys.map { Int64(inFlight[$0]!) }, Int64(min(perEndpoint, Int(Int32.max)))])
        var claimed: [Claimed] = []
        var bodiless: [Int64] = []
        for row in rows where try row.decode(Bool.self, column: 9) {
            let (seq, endpoint, subscription, attempts, eventID, payload, url, secret) =
                try row.decode((Int64, String, String, Int, String?, String?, String, String).self)
            guard let eventID, let payload else {
                bodiless.append(seq)
                continue
            }
            let previous = try row.decode(String?.self, column: 8)
            claimed.append(Claimed(seq: seq, claim: token, endpoint: endpoint, subscription: subscription, attempts: attempts,
                                   eventID: eventID, payload: payload, url: url, secrets: [secret] + (previous.map { [$0] } ?? [])))
        }
        // Cannot happen (messages are made only for entries with a body), but if it did, such a
        // message would come back after every lease and hold its queue for good.
        if !bodiless.isEmpty {
            try connection.query("""
                UPDATE webhook_messages SET status = 'failed', next_attempt_at = NULL, claim = NULL, last_error = 'no body was recorded'
                WHERE seq = ANY ($1) AND claim = $2
                """, [bodiless, token])
        }
        return claimed
    }

    /// How one attempt ended, and what follows.
    public struct Completion: Sendable {
        public enum Next: Sendable, Equatable {
            case delivered
            /// Try again after this many seconds, by the database's clock (the head keeps its
            /// queue waiting).
            case retry(afterSeconds: Double)
            /// No more attempts: the queue moves on.
            case failed
            /// 410: the endpoint is disabled (`gone`); the message waits for it.
            case gone
        }

        public var message: Claimed
        public var next: Next
        public var attemptedAt: Date
        public var statusCode: Int?
        public var durationMs: Int
        public var error: String?
        public var responseBody: String?

        public init(message: Claimed, next: Next, attemptedAt: Date, statusCode: Int?, durationMs: Int, error: String?, responseBody: String?) {
            self.message = message
            self.next = next
            self.attemptedAt = attemptedAt
            self.statusCode = statusCode
            self.durationMs = durationMs
            self.error = error
            self.responseBody = responseBody
        }
    }

    /// Records a batch of attempts in one transaction: the messages (only those whose lease is
    /// still ours), every attempt, the next head of each queue that moved on, and the endpoints'
    /// health (410 disables as `gone`; failing for `disableAfter` disables as `failing`). Returns
    /// how many messages became claimable.
    public static func complete(_ completions: [Completion], disableAfter: Duration,
                                on connection: isolated PostgresConnection) throws -> Int {
        guard !completions.isEmpty else { return 0 }
        let moving = completions.filter { $0.next == .delivered || $0.next == .failed }
        func status(_ next: Completion.Next) -> String {
            switch next {
            case .delivered: "delivered"
            case .failed: "failed"
            case .retry, .gone: "pending"
            }
        }
        func retryDelay(_ next: Completion.Next) -> Double? {
            if case .retry(let seconds) = next { return seconds }
            return nil
        }
        // Rows are locked in `seq` order, as every statement that locks several messages does, so
        // two of them never wait for each other in a cycle. A retry is due by the database's
        // clock, and only while the endpoint is enabled (a disabled one's queues have no head).
        let applied = try connection.query("""
            WITH c AS (
                SELECT * FROM unnest($1::int8[], $2::int8[], $3::text[], $4::float8[], $5::timestamptz[], $6::int4[], $7::int4[], $8::text[], $9::text[])
                    AS c(seq, claim, status, retry_after, attempted_at, status_code, duration_ms, error, response_body)
            ), locked AS (
                SELECT m.seq FROM webhook_messages m JOIN c ON c.seq = m.seq AND c.claim = m.claim ORDER BY m.seq FOR UPDATE OF m
            )
            UPDATE webhook_messages m SET status = c.status, attempts = m.attempts + 1, claim = NULL,
                next_attempt_at = CASE WHEN e.status = 'enabled' THEN now() + make_interval(secs => c.retry_after) END,
                delivered_at = CASE WHEN c.status = 'delivered' THEN c.attempted_at END,
                last_attempt_at = c.attempted_at, last_status_code = c.status_code, last_duration_ms = c.duration_ms,
                last_error = c.error, last_response_body = c.response_body
            FROM c JOIN locked USING (seq), webhook_endpoints e
            WHERE m.seq = c.seq AND m.claim = c.claim AND e.id = m.endpoint_id
            RETURNING m.seq
            """, [
                completions.map(\.message.seq), completions.map(\.message.claim), completions.map { status($0.next) },
                completions.map { retryDelay($0.next) }, completions.map { PostgresTimestamp($0.attemptedAt) },
                completions.map { $0.statusCode.map(Int32.init) }, completions.map { Int32(clamping: $0.durationMs) },
                completions.map(\.error), completions.map(\.responseBody),
            ]).map { try $0.decode(Int64.self, column: 0) }
        let appliedSet = Set(applied)
        // A delivered message keeps its successful attempt as its last one; only the others are
        // logged, and only those that counted (a lease that ran out makes an attempt moot).
        let unsuccessful = completions.filter { $0.next != .delivered && appliedSet.contains($0.message.seq) }
        if !unsuccessful.isEmpty {
            try connection.query("""
                INSERT INTO webhook_attempts (message_seq, attempted_at, status_code, duration_ms, error, response_body)
                SELECT * FROM unnest($1::int8[], $2::timestamptz[], $3::int4[], $4::int4[], $5::text[], $6::text[])
                """, [
                    unsuccessful.map(\.message.seq), unsuccessful.map { PostgresTimestamp($0.attemptedAt) },
                    unsuccessful.map { $0.statusCode.map(Int32.init) }, unsuccessful.map { Int32(clamping: $0.durationMs) },
                    unsuccessful.map(\.error), unsuccessful.map(\.responseBody),
                ])
        }
        let moved = moving.filter { appliedSet.contains($0.message.seq) }
        let promoted = try promoteHeads(moved.map { ($0.message.endpoint, $0.message.subscription) }, on: connection)

        // Endpoint health: a delivery clears `failing_since`, a failure sets it once; past
        // `disableAfter` of failures only, the endpoint is disabled.
        let counted = completions.filter { appliedSet.contains($0.message.seq) }
        let healthy = Set(counted.filter { $0.next == .delivered }.map(\.message.endpoint))
        let failing = Set(counted.filter { $0.next != .delivered && $0.next != .gone }.map(\.message.endpoint)).subtracting(healthy)
        if !healthy.isEmpty {
            try connection.query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ANY($1) AND failing_since IS NOT NULL",
                                 [healthy.sorted()])
        }
        if !failing.isEmpty {
            try connection.query("UPDATE webhook_endpoints SET failing_since = now() WHERE id = ANY($1) AND failing_since IS NULL",
                                 [failing.sorted()])
            let worn = try connection.query("""
                UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = 'failing'
                WHERE id = ANY($1) AND status = 'enabled' AND failing_since <= now() - make_interval(secs => $2)
                RETURNING id
                """, [failing.sorted(), disableAfter.seconds]).map { try $0.decode(String.self, column: 0) }
            for endpoint in worn { try holdQueues(endpoint: endpoint, on: connection) }
        }
        let gone = Set(counted.filter { $0.next == .gone }.map(\.message.endpoint))
        for endpoint in gone.sorted() {
            try connection.query("""
                UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = 'gone' WHERE id = $1 AND status = 'enabled'
                """, [endpoint])
            try holdQueues(endpoint: endpoint, on: connection)
        }
        return promoted
    }

    /// The oldest pending message of each queue becomes claimable now, unless its endpoint is
    /// disabled or the queue already has a head.
    static func promoteHeads(_ queues: [(endpoint: String, subscription: String)], on connection: isolated PostgresConnection) throws -> Int {
        guard !queues.isEmpty else { return 0 }
        return try connection.query("""
            UPDATE webhook_messages m SET next_attempt_at = now()
            FROM (SELECT DISTINCT e, s FROM unnest($1::text[], $2::text[]) AS q(e, s)) q
            JOIN webhook_endpoints endpoint ON endpoint.id = q.e AND endpoint.status = 'enabled'
            CROSS JOIN LATERAL (
                SELECT seq FROM webhook_messages WHERE endpoint_id = q.e AND subscription = q.s AND status = 'pending' ORDER BY seq LIMIT 1
            ) head
            WHERE m.seq = head.seq AND m.next_attempt_at IS NULL
              AND NOT EXISTS (SELECT FROM webhook_messages o WHERE o.endpoint_id = q.e AND o.subscription = q.s AND o.status = 'pending'
                              AND o.next_attempt_at IS NOT NULL)
            RETURNING 1
            """, [queues.map(\.endpoint), queues.map(\.subscription)]).count
    }

    /// While an endpoint is disabled, none of its messages is claimable (they wait, in order). A
    /// head in flight keeps its lease: its attempt is recorded, and a retry then waits too (see
    /// `complete`). Cleared instead, the lease would let the message be sent again, and its
    /// successors after it, while the first attempt may still reach the receiver late.
    static func holdQueues(endpoint: String, on connection: isolated PostgresConnection) throws {
        try connection.query("""
            UPDATE webhook_messages m SET next_attempt_at = NULL, claim = NULL
            FROM (SELECT seq FROM webhook_messages
                  WHERE endpoint_id = $1 AND status = 'pending' AND next_attempt_at IS NOT NULL AND (claim IS NULL OR next_attempt_at <= now())
                  ORDER BY seq FOR UPDATE) h
            WHERE m.seq = h.seq
            """, [endpoint])
    }

    /// An operator's change to queues (enable, resend, recover) decides which message is a head
    /// from what it can see, so it must see every message a worker is adding: this waits for
    /// transactions writing messages to commit and holds new ones until this one does (a
    /// moment). Operator actions are rare; workers and deliveries never take it.
    static func lockQueuesForOperator(on connection: isolated PostgresConnection) throws {
        try connection.query("LOCK TABLE webhook_messages IN SHARE ROW EXCLUSIVE MODE")
    }

    /// Every queue of an endpoint with waiting messages gets its head claimable again.
    static func resumeQueues(endpoint: String, on connection: isolated PostgresConnection) throws {
        try lockQueuesForOperator(on: connection)
        try connection.query("""
            UPDATE webhook_messages m SET next_attempt_at = now()
            FROM (SELECT DISTINCT ON (subscription) seq, subscription FROM webhook_messages
                  WHERE endpoint_id = $1 AND status = 'pending' ORDER BY subscription, seq) head
            WHERE m.seq = head.seq AND m.next_attempt_at IS NULL
              AND NOT EXISTS (SELECT FROM webhook_messages o WHERE o.endpoint_id = $1 AND o.subscription = head.subscription
                              AND o.status = 'pending' AND o.next_attempt_at IS NOT NULL)
            """, [endpoint])
    }

    /// A safety net for a head lost in a race the row locks do not cover (an operator enabling an
    /// endpoint, or recovering messages, while a worker adds one to the same queue): queues of
    /// enabled endpoints with pending messages and no head get one. Cheap while little is pending.
    public static func repairQueues(on connection: isolated PostgresConnection) throws -> Int {
        // One process at a time repairs; the others skip this round.
        guard try connection.query("SELECT pg_try_advisory_xact_lock(hashtext('addon_lifecycle_repair_queues'))")[0]
            .decode(Bool.self, column: 0) else { return 0 }
        return try connection.query("""
            UPDATE webhook_messages m SET next_attempt_at = now()
            FROM (SELECT DISTINCT ON (p.endpoint_id, p.subscription) p.seq, p.endpoint_id, p.subscription
                  FROM webhook_messages p JOIN webhook_endpoints e ON e.id = p.endpoint_id AND e.status = 'enabled'
                  WHERE p.status = 'pending' ORDER BY p.endpoint_id, p.subscription, p.seq) head
            WHERE m.seq = head.seq AND m.next_attempt_at IS NULL
              AND NOT EXISTS (SELECT FROM webhook_messages o WHERE o.endpoint_id = head.endpoint_id AND o.subscription = head.subscription
                              AND o.status = 'pending' AND o.next_attempt_at IS NOT NULL)
            RETURNING 1
            """).count
    }

    /// When the next message falls due (nil: none is waiting), by the database's clock.
    public static func nextDue(on connection: isolated PostgresConnection) throws -> (next: PostgresTimestamp?, now: PostgresTimestamp) {
        try connection.query("SELECT (SELECT min(next_attempt_at) FROM webhook_messages WHERE next_attempt_at IS NOT NULL), now()")[0]
            .decode((PostgresTimestamp?, PostgresTimestamp).self)
    }

    /// Sends a message again: pending with a fresh count of attempts, claimable now unless an
    /// earlier message of its queue is still waiting. Nil for an unknown message.
    public static func resend(project: String, endpoint: String, eventID: String, on connection: isolated PostgresConnection) throws -> Bool {
        guard let (seq, subscription) = try connection.query("""
            SELECT m.seq, m.subscription FROM webhook_messages m
            JOIN transitions t ON t.seq = m.transition_seq JOIN webhook_endpoints e ON e.id = m.endpoint_id
            WHERE e.project = $1 AND m.endpoint_id = $2 AND t.event_id = $3
            """, [project, endpoint, eventID]).first.map({ try $0.decode((Int64, String).self) }) else { return false }
        try lockQueuesForOperator(on: connection)
        // In flight: its attempt goes on (and is recorded); only its count of attempts starts over.
        try connection.query("""
            UPDATE webhook_messages SET status = 'pending', attempts = 0,
                next_attempt_at = CASE WHEN claim IS NOT NULL AND next_attempt_at > now() THEN next_attempt_at END,
                claim = CASE WHEN claim IS NOT NULL AND next_attempt_at > now() THEN claim END
            WHERE seq = $1
            """, [seq])
        _ = try promoteHeads([(endpoint, subscription)], on: connection)
        return true
    }

    /// Sends every `failed` message of the endpoint created at or after `since` again, in order.
    public static func recover(endpoint: String, since: Instant, on connection: isolated PostgresConnection) throws -> Int {
        try lockQueuesForOperator(on: connection)
        let queues = try connection.query("""
            UPDATE webhook_messages SET status = 'pending', attempts = 0, next_attempt_at = NULL, claim = NULL
            WHERE endpoint_id = $1 AND status = 'failed' AND created_at >= $2
            RETURNING subscription
            """, [endpoint, PostgresTimestamp(since)]).map { try $0.decode(String.self, column: 0) }
        let distinct = Array(Set(queues)).map { (endpoint: endpoint, subscription: $0) }
        _ = try promoteHeads(distinct, on: connection)
        return queues.count
    }

    /// The SPEC §6 `webhookMessage` objects of an endpoint, newest first, optionally by status.
    public static func list(endpoint: String, status: String?, page: PageRequest, on connection: isolated PostgresConnection) throws -> Page<JSONValue> {
        var conditions = ["endpoint_id = $1"]
        var binds: [any PostgresEncodable] = [endpoint]
        if let status {
            conditions.append("status = $2")
            binds.append(status)
        }
        let keyset = Keyset(select: messageColumns, table: messagesView, conditions: conditions, binds: binds, cursorScope: 1)
        return try keyset.page(page, on: connection, decode: message)
    }

    static let messagesView = """
        (SELECT t.event_id AS id, m.transition_seq AS seq, m.endpoint_id, m.status, t.kind, t.subscription, t.subscription_addon, m.attempts,
                m.next_attempt_at, m.delivered_at, m.last_attempt_at, m.last_status_code, m.last_duration_ms, m.last_error,
                m.last_response_body
         FROM webhook_messages m JOIN transitions t ON t.seq = m.transition_seq) messages
        """
    static let messageColumns = """
        id, seq, kind, subscription, subscription_addon, status, attempts, next_attempt_at, delivered_at, last_attempt_at,
        last_status_code, last_duration_ms, last_error, last_response_body
        """

    static func message(_ row: PostgresRow) throws -> JSONValue {
        let (id, _, kind, subscription, sad, status, attempts, next) =
            try row.decode((String, Int64, String, String, String, String, Int, PostgresTimestamp?).self)
        let (delivered, attemptedAt, code, duration, error, body) = (
            try row.decode(PostgresTimestamp?.self, column: 8), try row.decode(PostgresTimestamp?.self, column: 9),
            try row.decode(Int?.self, column: 10), try row.decode(Int?.self, column: 11), try row.decode(String?.self, column: 12),
            try row.decode(String?.self, column: 13))
        func instant(_ value: PostgresTimestamp?) -> JSONValue { value.map { .string(Instant($0).rfc3339) } ?? .null }
        let lastAttempt: JSONValue = attemptedAt.map { at in
            [
                "at": .string(Instant(at).rfc3339), "statusCode": code.map(JSONValue.int) ?? .null,
                "durationMs": duration.map(JSONValue.int) ?? .null, "error": error.map(JSONValue.string) ?? .null,
                "responseBody": body.map(JSONValue.string) ?? .null,
            ]
        } ?? .null
        return [
            "object": "webhookMessage", "id": .string(id), "type": .string(OutboxEntry.Kind(rawValue: kind)?.eventType ?? kind),
            "subscription": .string(subscription), "subscriptionAddon": .string(sad), "status": .string(status),
            "attempts": .int(attempts), "nextAttemptAt": status == "pending" ? instant(next) : .null, "deliveredAt": instant(delivered),
            "lastAttempt": lastAttempt,
        ]
    }

    /// What `/metrics` reports: pending messages (exact up to `QueueStats.exactLimit`), and the age
    /// of the oldest message waiting to go out. The oldest pending message of an enabled endpoint
    /// is the head of its queue, so the heads (the due index) are all that is read; those of a
    /// disabled endpoint wait on purpose and are not counted in the age.
    public static func stats(on connection: isolated PostgresConnection) throws -> (pending: Int, oldestAge: Double) {
        let row = try connection.query("""
            SELECT (SELECT count(*) FROM (SELECT FROM webhook_messages WHERE status = 'pending' LIMIT $1) p),
                   coalesce(extract(epoch FROM now() - (SELECT min(created_at) FROM webhook_messages WHERE next_attempt_at IS NOT NULL)), 0)::float8
            """, [QueueStats.exactLimit])[0]
        let (pending, age) = try row.decode((Int, Double).self)
        return (pending, max(0, age))
    }
}

extension Duration {
    /// Whole and fractional seconds, for `make_interval(secs => …)`.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
