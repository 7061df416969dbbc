import ArgumentParser
import Postgres
import ServiceLifecycle
import Store

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Runs ingest and workers in one process (with no DATABASE_URL, on a private PostgreSQL).")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let logger = options.makeLogger()
        try await Database.with(url: options.resolvedDatabaseURL, logger: logger) { configuration in
            let pool = PostgresPool(configuration: configuration, size: 4, logger: logger)
            try await Migrator(logger: logger).migrate(pool)
            // The HTTP ingest (issue 4) and the workers (issue 5) join this group as services.
            let group = ServiceGroup(configuration: .init(
                services: [pool],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
            logger.notice("addon-lifecycle running; stop with SIGINT or SIGTERM")
            try await group.run()
        }
    }
}
