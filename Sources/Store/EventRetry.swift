import Postgres

/// Operators retry a failed event: it becomes pending again and its subscription is due now.
public enum EventRetry {
    public enum Outcome: Sendable, Equatable {
        case retried
        case notFailed(status: String)
        case notFound
        /// A `created` event whose add-on belongs to another subscription: retrying it would make
        /// two subscriptions write one add-on's state.
        case addonOwnedElsewhere(owner: String)
    }

    /// Run inside a transaction.
    public static func retry(id: String, on connection: isolated PostgresConnection) throws(PostgresError) -> Outcome {
        let owner = try connection.query("""
            SELECT o.subscription FROM events e
            JOIN subscription_addon_owners o ON o.project = e.project AND o.id = e.body::json -> 'data' ->> 'id'
            WHERE e.id = $1 AND e.status = 'failed' AND e.type = 'com.gigs.subscriptionAddon.created' AND o.subscription <> e.subscription
            """, [id]).first
        if let owner { return .addonOwnedElsewhere(owner: try owner.decode(String.self, column: 0)) }
        let reset = try connection.query("""
            UPDATE events SET status = 'pending', attempts = 0, last_error = NULL
            WHERE id = $1 AND status = 'failed' RETURNING project, subscription
            """, [id])
        guard let row = reset.first else {
            let status = try connection.query("SELECT status FROM events WHERE id = $1", [id]).first?.decode(String.self, column: 0)
            return status.map { .notFailed(status: $0) } ?? .notFound
        }
        let (project, subscription) = try row.decode((String, String?).self)
        if let subscription {
            // A signal makes it due now; a backoff in progress starts again from its first attempt.
            try connection.query("""
                WITH reset AS (
                    UPDATE work SET attempts = 0, last_error = NULL WHERE project = $1 AND subscription = $2 AND attempts > 0
                )
                INSERT INTO work_signals (project, subscription) VALUES ($1, $2)
                """, [project, subscription])
            try EventInbox.notifyWorkers(on: connection)
        }
        return .retried
    }
}
