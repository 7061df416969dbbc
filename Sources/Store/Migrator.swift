import Logging
import Postgres

/// Applies the versioned migrations once, in order, recording each in `schema_migrations`.
///
/// Everything runs in one transaction under a transaction-scoped advisory lock, so processes that
/// start together queue up: the first applies, the others then find nothing left to do. A failure
/// rolls back every migration of the run.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    private let logger: Logger

    /// Arbitrary constant naming "addon-lifecycle schema migration" among advisory locks.
    static let lockKey: Int64 = 0x6164_646F_6E6D_6967

    public init(migrations: [Migration] = Migrations.all, logger: Logger) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Applies what is missing and returns the versions applied by this call.
    @discardableResult
    public func migrate(_ pool: PostgresPool) async throws -> [Int] {
        let migrations = self.migrations
        let applied = try await pool.withTransaction { connection in
            try connection.query("SELECT pg_advisory_xact_lock($1)", [Self.lockKey])
            try connection.simpleQuery("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version     integer PRIMARY KEY,
                    name        text NOT NULL,
                    checksum    text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now()
                )
                """)
            let recorded = try Self.recordedChecksums(connection)
            var appliedNow: [Int] = []
            for migration in migrations {
                if let checksum = recorded[migration.version] {
                    guard checksum == migration.checksum else {
                        throw Failure(description:
                            "migration \(migration.version) (\(migration.name)) was changed after it was applied; add a new migration instead")
                    }
                    continue
                }
                try connection.simpleQuery(migration.sql)
                try connection.query(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    [migration.version, migration.name, migration.checksum])
                appliedNow.append(migration.version)
            }
            return appliedNow
        }
        for version in applied {
            logger.info("applied migration", metadata: ["version": "\(version)"])
        }
        return applied
    }

    /// The highest applied version, or 0 on an empty database. Used by readiness checks.
    public func currentVersion(_ pool: PostgresPool) async throws -> Int {
        try await pool.withConnection { connection in
            let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL")
            guard try exists.first?.decode(Bool.self, column: 0) == true else { return 0 }
            let rows = try connection.query("SELECT coalesce(max(version), 0) FROM schema_migrations")
            return try rows.first?.decode(Int.self, column: 0) ?? 0
        }
    }

    private static func recordedChecksums(_ connection: isolated PostgresConnection) throws -> [Int: String] {
        var result: [Int: String] = [:]
        for row in try connection.query("SELECT version, checksum FROM schema_migrations") {
            let (version, checksum) = try row.decode((Int, String).self)
            result[version] = checksum
        }
        return result
    }
}
