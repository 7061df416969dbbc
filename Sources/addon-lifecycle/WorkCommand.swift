import ArgumentParser
import Logging
import Postgres
import ServiceLifecycle
import Worker

struct WorkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "Runs workers only (run as many processes as needed against one database).")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var worker: WorkerOptions

    func run() async throws {
        let logger = options.makeLogger()
        try await Database.with(url: options.resolvedDatabaseURL, logger: logger) { database in
            let pool = PostgresPool(configuration: database.configuration, size: worker.resolvedWorkers + 1, logger: logger)
            try await database.prepareSchema(pool, logger: logger)
            let workers = WorkerService(pool: pool, configuration: worker.configuration, logger: logger)
            let group = ServiceGroup(configuration: .init(
                services: [pool, workers],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
            logger.notice("addon-lifecycle working", metadata: ["workers": "\(worker.resolvedWorkers)"])
            try await group.run()
        }
    }
}
