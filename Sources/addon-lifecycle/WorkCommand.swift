import API
import Delivery
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
    @OptionGroup var delivery: DeliveryOptions
    @Flag(name: .customLong("no-delivery"), help: "Do not deliver messages in this process (run `deliver` processes instead).")
    var noDelivery = false

    func run() async throws {
        let logger = options.makeLogger()
        HTTPLimits.raiseFileLimit()
        try await Database.with(url: options.resolvedDatabaseURL, logger: logger) { database in
            // One connection per worker, one for the listener's relay, one for /metrics scrapes; and
            // two for delivery's claims and records.
            let pool = PostgresPool(configuration: database.backgroundConfiguration, size: worker.resolvedWorkers + (noDelivery ? 2 : 4), logger: logger)
            try await database.prepareSchema(pool, logger: logger)
            Observability.bootstrap()
            let workers = WorkerService(pool: pool, configuration: worker.configuration, logger: logger)
            var services: [any Service] = [pool, workers]
            if !noDelivery {
                services.append(DeliveryService(pool: pool, configuration: try delivery.configuration(embedded: database.isEmbedded), logger: logger))
            }
            if let port = worker.resolvedMetricsPort {
                let host = ProcessInfo.processInfo.environment["HOST"] ?? "0.0.0.0"
                services.append(HTTPApplication.operations(hostname: host, port: port, pool: pool, logger: logger))
            }
            logger.notice("addon-lifecycle working", metadata: ["workers": "\(worker.resolvedWorkers)"])
            try await ServiceRunner.run(services, ports: worker.resolvedMetricsPort.map { [$0] } ?? [], logger: logger)
        }
    }
}
