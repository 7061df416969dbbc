import API
import Ingest
import ArgumentParser
import Foundation
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
        HTTPLimits.raiseFileLimit()
        try await Database.with(url: options.resolvedDatabaseURL, logger: logger) { database in
            // One connection per worker, one for the listener's relay, one for /metrics scrapes.
            let pool = PostgresPool(configuration: database.configuration, size: worker.resolvedWorkers + 2, logger: logger)
            try await database.prepareSchema(pool, logger: logger)
            Observability.bootstrap()
            let workers = WorkerService(pool: pool, configuration: worker.configuration, logger: logger)
            var services: [any Service] = [pool, workers]
            if let port = worker.resolvedMetricsPort {
                let host = ProcessInfo.processInfo.environment["HOST"] ?? "0.0.0.0"
                services.append(HTTPApplication.operations(hostname: host, port: port, pool: pool, logger: logger))
            }
            logger.notice("addon-lifecycle working", metadata: ["workers": "\(worker.resolvedWorkers)"])
            try await ServiceRunner.run(services, ports: worker.resolvedMetricsPort.map { [$0] } ?? [], logger: logger)
        }
    }
}
