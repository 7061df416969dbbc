import Lifecycle
import EventFormat
import Postgres

/// Filters of `GET /projects/{project}/subscriptionAddons`; nil means any.
public struct AddonFilter: Sendable, Equatable {
    public var subscription: String?
    public var addon: String?
    public var status: AddonStatus?

    public init(subscription: String? = nil, addon: String? = nil, status: AddonStatus? = nil) {
        self.subscription = subscription
        self.addon = addon
        self.status = status
    }
}

/// One entry of an add-on's history: a fact that concerned it, or a transition it went through.
public enum AddonHistoryEntry: Sendable {
    case fact(eventID: String, type: String, time: Instant, status: String)
    case transition(kind: String, at: Instant, endReason: String?, recordedAt: Instant)

    var time: Instant {
        switch self {
        case .fact(_, _, let time, _): return time
        case .transition(_, let at, _, _): return at
        }
    }
}

/// The read side of the materialized add-on state, always scoped to one project.
public enum AddonQueries {
    static let columns = """
        id, seq, subscription, addon, status, created_at, activated_at, period_number, period_start, period_end,
        ended_at, canceled_at, end_reason
        """

    /// The SPEC §4 object of each add-on, newest first.
    public static func list(project: String, filter: AddonFilter, page: PageRequest,
                            on connection: isolated PostgresConnection) throws -> Page<JSONValue> {
        var conditions = ["project = $1"]
        var binds: [any PostgresEncodable] = [project]
        for (column, value) in [("subscription", filter.subscription), ("addon_id", filter.addon), ("status", filter.status?.rawValue)] {
            guard let value else { continue }
            binds.append(value)
            conditions.append("\(column) = $\(binds.count)")
        }
        let keyset = Keyset(select: columns, table: "subscription_addons", conditions: conditions, binds: binds, cursorScope: 1)
        return try keyset.page(page, on: connection, decode: object)
    }

    public static func get(project: String, id: String, on connection: isolated PostgresConnection) throws -> JSONValue? {
        try row(project: project, id: id, on: connection).map(object)
    }

    static func row(project: String, id: String, on connection: isolated PostgresConnection) throws -> PostgresRow? {
        try connection.query("SELECT \(columns) FROM subscription_addons WHERE project = $1 AND id = $2", [project, id]).first
    }

    /// The add-on and, in logical-time order, the facts that concerned it (those naming it and the
    /// subscription-wide ones) and its recorded transitions; nil for an unknown add-on.
    public static func history(project: String, id: String,
                               on connection: isolated PostgresConnection) throws -> (addon: JSONValue, entries: [AddonHistoryEntry])? {
        guard let row = try row(project: project, id: id, on: connection) else { return nil }
        let subscription = try row.decode(String.self, column: 2)
        var entries: [AddonHistoryEntry] = []
        let events = try connection.query("""
            SELECT body, status FROM events WHERE project = $1 AND subscription = $2 AND status <> 'ignored'
            ORDER BY time, id
            """, [project, subscription])
        for event in events {
            let (body, status) = try event.decode((String, String).self)
            // Stored bodies passed the decoder at ingest; one that no longer does is simply not shown.
            guard let decoded = try? EventDecoder.decode(Array(body.utf8)), let fact = Fact(event: decoded),
                  fact.subscription == subscription, fact.subscriptionAddons.isEmpty || fact.subscriptionAddons.contains(id) else { continue }
            entries.append(.fact(eventID: decoded.id, type: decoded.type, time: fact.time, status: status))
        }
        let transitions = try connection.query("""
            SELECT kind, at, end_reason, recorded_at FROM transitions WHERE project = $1 AND subscription_addon = $2 ORDER BY at, seq
            """, [project, id])
        for transition in transitions {
            let (kind, at, reason, recorded) = try transition.decode((String, PostgresTimestamp, String?, PostgresTimestamp).self)
            entries.append(.transition(kind: kind, at: Instant(at), endReason: reason, recordedAt: Instant(recorded)))
        }
        // Facts come in logical order already; a transition goes after the facts of its instant.
        let ordered = entries.enumerated().sorted { a, b in
            a.element.time != b.element.time ? a.element.time < b.element.time : a.offset < b.offset
        }.map(\.element)
        return (try object(row), ordered)
    }

    /// The stored objects of the given subscriptions of one project, by subscription then add-on
    /// id (for `replay --check`).
    public static func objects(project: String, subscriptions: [String],
                               on connection: isolated PostgresConnection) throws -> [String: [String: JSONValue]] {
        var result: [String: [String: JSONValue]] = [:]
        let rows = try connection.query("SELECT \(columns) FROM subscription_addons WHERE project = $1 AND subscription = ANY($2)",
                                        [project, subscriptions])
        for row in rows {
            let (id, subscription) = (try row.decode(String.self, column: 0), try row.decode(String.self, column: 2))
            result[subscription, default: [:]][id] = try object(row)
        }
        return result
    }

    static func object(_ row: PostgresRow) throws -> JSONValue {
        let (id, _, subscription, addon, status, createdAt, activatedAt, periodNumber, periodStart, periodEnd, endedAt, canceledAt, endReason) =
            try row.decode((String, Int64, String, PostgresJSONB, String, PostgresTimestamp, PostgresTimestamp?, Int64?,
                            PostgresTimestamp?, PostgresTimestamp?, PostgresTimestamp?, PostgresTimestamp?, String?).self)
        guard let status = AddonStatus(rawValue: status) else {
            throw PostgresError(.decoding, message: "subscription_addons.status '\(status)' is not a status")
        }
        let period = zip(periodNumber, periodStart).map { number, start in
            Period(number: Int(number), start: Instant(start), end: periodEnd.map(Instant.init))
        }
        return AddonState.subscriptionAddonObject(
            id: id, addon: try JSONValue(parsing: addon.bytes), subscription: subscription, status: status,
            createdAt: Instant(createdAt), activatedAt: activatedAt.map(Instant.init), currentPeriod: period,
            endedAt: endedAt.map(Instant.init), canceledAt: canceledAt.map(Instant.init), endReason: endReason.flatMap(EndReason.init))
    }
}

/// Both or neither.
private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
