import Foundation
import Logging
import Ingest
import Postgres
import Store

/// The database a command uses: DATABASE_URL when given, else the embedded cluster, which this
/// process stops again on exit if it was the one that started it.
struct Database {
    let configuration: PostgresConfiguration
    private let embedded: EmbeddedCluster?
    /// For the workers and delivery: the same database, with statements planned afresh (see
    /// `PostgresConfiguration.customPlans`).
    var backgroundConfiguration: PostgresConfiguration {
        var configuration = configuration
        configuration.customPlans = true
        return configuration
    }
    /// True on the private development cluster (no DATABASE_URL).
    var isEmbedded: Bool { embedded != nil }
    private let startedEmbedded: Bool

    /// Opens the database, runs `body`, and closes it again, also when `body` throws.
    static func with<T>(url: String?, logger: Logger, _ body: (Database) async throws -> T) async throws -> T {
        let database = try await open(url: url, logger: logger)
        do {
            let value = try await body(database)
            await database.close()
            return value
        } catch {
            await database.close()
            throw error
        }
    }

    static func open(url: String?, logger: Logger) async throws -> Database {
        if let url {
            let configuration = PostgresConfiguration(url)
            _ = try configuration.parsedOptions()  // fail early, with a one-line message
            return Database(configuration: configuration, embedded: nil, startedEmbedded: false)
        }
        let directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent(".addon-lifecycle/postgres")
        let cluster = EmbeddedCluster(directory: directory, logger: logger)
        let running = try await cluster.start()
        logger.notice("using the embedded PostgreSQL (no DATABASE_URL)", metadata: ["conninfo": "\(running.connectionString)"])
        return Database(
            configuration: PostgresConfiguration(running.connectionString),
            embedded: cluster,
            startedEmbedded: running.startedHere)
    }

    /// Migrates on the embedded cluster (development); elsewhere checks that `migrate` has run, so a
    /// server never runs against a schema it does not know.
    func prepareSchema(_ pool: PostgresPool, logger: Logger) async throws {
        let migrator = Migrator(logger: logger)
        if isEmbedded {
            // Not through the service's pool: its statement and lock timeouts are for requests,
            // and a migration may rewrite a table.
            let migrating = PostgresPool(configuration: configuration, size: 1, logger: logger)
            defer { migrating.close() }
            try await migrator.migrate(migrating)
            return
        }
        let version = try await Self.retryingWhileUnreachable(logger: logger) { try await migrator.currentVersion(pool) }
        guard version >= Migrations.latestVersion else {
            throw ConfigurationError("the database schema is at version \(version), this build needs \(Migrations.latestVersion): run `addon-lifecycle migrate` first")
        }
    }

    /// A process that starts while the database restarts or fails over waits for it (up to a
    /// minute, saying so in the log) instead of exiting; a wrong password or database name fails
    /// at once (libpq only says so in its message).
    static func retryingWhileUnreachable<T>(logger: Logger, _ body: () async throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(60)
        var delay = Duration.milliseconds(200)
        while true {
            do {
                return try await body()
            } catch let error as PostgresError where error.isTransient && !Self.isMisconfiguration(error) && ContinuousClock.now < deadline {
                logger.warning("database not reachable yet; retrying", metadata: ["error": "\(error)", "retryIn": "\(delay)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    static func isMisconfiguration(_ error: PostgresError) -> Bool {
        ["authentication failed", "does not exist", "no pg_hba.conf entry"].contains { error.message.contains($0) }
    }

    /// Stops the embedded cluster if this process started it.
    func close() async {
        guard startedEmbedded, let embedded else { return }
        do {
            try await embedded.stop()
        } catch {
            Logger(label: "addon-lifecycle").error("could not stop the embedded PostgreSQL", metadata: ["error": "\(error)"])
        }
    }
}
