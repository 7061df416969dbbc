import EventFormat
import Postgres

/// The read side of one subscription (SPEC §7): its stored add-ons, and its event log for folding
/// as of an instant.
public enum SubscriptionQueries {
    public struct Summary: Sendable {
        /// The SPEC §4 objects, by add-on id (the order replay prints them in).
        public var addons: [JSONValue]
        /// Events not yet folded, or a timer already due: the add-ons may be about to change.
        public var pendingWork: Bool
        public var failedEvents: Int
    }

    /// nil when no event ever named the subscription.
    public static func summary(project: String, subscription: String, on connection: isolated PostgresConnection) throws -> Summary? {
        let row = try connection.query("""
            SELECT EXISTS (SELECT FROM events WHERE project = $1 AND subscription = $2),
                   EXISTS (SELECT FROM events WHERE project = $1 AND subscription = $2 AND status = 'pending')
                   OR EXISTS (SELECT FROM work WHERE project = $1 AND subscription = $2 AND due_at <= now())
                   OR EXISTS (SELECT FROM work_signals WHERE project = $1 AND subscription = $2),
                   (SELECT count(*) FROM events WHERE project = $1 AND subscription = $2 AND status = 'failed')
            """, [project, subscription])[0]
        let (known, pending, failed) = try row.decode((Bool, Bool, Int).self)
        guard known else { return nil }
        let addons = try connection.query("""
            SELECT \(AddonQueries.columns) FROM subscription_addons WHERE project = $1 AND subscription = $2 ORDER BY id
            """, [project, subscription]).map(AddonQueries.object)
        return Summary(addons: addons, pendingWork: pending, failedEvents: failed)
    }

    /// Most events a subscription may have for the API to fold it on line: a request holds all of
    /// them in memory at once. Larger logs are for `export --subscription … | replay`.
    public static let maximumEvents = 20_000

    public struct TooManyEvents: Error, Sendable {}

    /// Every stored event body of the subscription in the export's order (time, then id), as one
    /// range of `events_subscription_idx`; nil when there is none. Events of unknown types carry
    /// no fact and are left out. All of them are read, whatever the instant asked about: a fact's
    /// logical time is not always its envelope's (a period's end is), so the fold filters.
    /// Throws `TooManyEvents` past `maximumEvents`.
    public static func eventBodies(project: String, subscription: String, on connection: isolated PostgresConnection) throws -> [String]? {
        let bodies = try connection.query("""
            SELECT body FROM events WHERE project = $1 AND subscription = $2 AND status <> 'ignored' ORDER BY time, id LIMIT $3
            """, [project, subscription, maximumEvents + 1]).map { try $0.decode(String.self, column: 0) }
        guard bodies.count <= maximumEvents else { throw TooManyEvents() }
        if !bodies.isEmpty { return bodies }
        let known = try connection.query("SELECT EXISTS (SELECT FROM events WHERE project = $1 AND subscription = $2)",
                                         [project, subscription])[0].decode(Bool.self, column: 0)
        return known ? [] : nil
    }
}
