import Lifecycle
import EventFormat
import Postgres

// The core's instants and PostgreSQL's timestamps are both microseconds since the Unix epoch.
extension PostgresTimestamp {
    public init(_ instant: Instant) {
        self.init(microsecondsSinceEpoch: instant.microseconds)
    }
}

extension Instant {
    public init(_ timestamp: PostgresTimestamp) {
        self.init(microseconds: timestamp.microsecondsSinceEpoch)
    }
}
