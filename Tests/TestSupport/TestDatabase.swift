import Foundation
import Logging
import Postgres

/// Databases for tests, on the throwaway PostgreSQL that `make test` starts (DATABASE_URL).
///
/// Each call makes a fresh, uniquely named database, so suites run in parallel without seeing each
/// other's rows; the whole cluster is deleted when the test command ends.
public enum TestDatabase {
    public static let logger = Logger(label: "tests")

    /// The server's admin connection string, from DATABASE_URL.
    public static var adminURL: String {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            fatalError("DATABASE_URL is not set: run the suite with `make test`, which starts a throwaway PostgreSQL")
        }
        return url
    }

    /// Tests connect in bursts while other suites create databases (each a template copy through
    /// the WAL); a generous connect timeout keeps a busy machine from failing them.
    static let connectTimeout = 60

    /// Creates an empty database and returns its configuration.
    public static func create(_ label: String = "t") async throws -> PostgresConfiguration {
        let name = "\(label)_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try await PostgresConnection.connect(PostgresConfiguration(adminURL, connectTimeout: connectTimeout))
        try await admin.run { connection in
            _ = try connection.simpleQuery("CREATE DATABASE " + PostgresIdentifier.quote(name))
        }
        await admin.close()
        return PostgresConfiguration(adminURL + separator(for: adminURL) + "dbname=\(name)", connectTimeout: connectTimeout)
    }

    /// Appends a keyword to either a URI (`?dbname=` overrides the path) or a conninfo string.
    private static func separator(for url: String) -> String {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return url.contains("?") ? "&" : "?"
        }
        return " "
    }

    /// One database per label for the whole run, for suites whose tests only read or keep to their
    /// own tables: fewer databases to create.
    public static func shared(_ label: String) async throws -> PostgresConfiguration {
        try await SharedDatabases.instance.configuration(label)
    }

    /// A new pool on a new database.
    public static func pool(_ label: String = "t", size: Int = 4) async throws -> PostgresPool {
        PostgresPool(configuration: try await create(label), size: size, logger: logger)
    }
}

actor SharedDatabases {
    static let instance = SharedDatabases()
    private var made: [String: Task<PostgresConfiguration, any Error>] = [:]

    func configuration(_ label: String) async throws -> PostgresConfiguration {
        if let task = made[label] { return try await task.value }
        let task = Task { try await TestDatabase.create(label) }
        made[label] = task
        return try await task.value
    }
}
