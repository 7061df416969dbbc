import ArgumentParser
import Postgres
import Store

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Applies the schema migrations that are missing (safe to run from several processes at once).")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let logger = options.makeLogger()
        let applied = try await Database.with(url: options.resolvedDatabaseURL, logger: logger) { database in
            let pool = PostgresPool(configuration: database.configuration, size: 1, logger: logger)
            return try await Migrator(logger: logger).migrate(pool)
        }
        print(applied.isEmpty
              ? "schema is current (version \(Migrations.latestVersion))"
              : "applied migrations \(applied.map(String.init).joined(separator: ", ")); schema is at version \(Migrations.latestVersion)")
    }
}
