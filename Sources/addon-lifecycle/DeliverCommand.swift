import API
import ArgumentParser
import Delivery
import Foundation
import Ingest
import Logging
import Postgres
import ServiceLifecycle

struct DeliverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver",
        abstract: "Delivers recorded transitions to the operators' endpoints only (run as many processes as needed).")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var delivery: DeliveryOptions
    @Option(name: .customLong("metrics-port"), help: "Serve /metrics, /healthz and /readyz on this port (env: METRICS_PORT).")
    var metricsPort: Int?

    func run() async throws {
        let logger = options.makeLogger()
        HTTPLimits.raiseFileLimit()
        try await Database.with(url: options.resolvedDatabaseURL, logger: logger) { database in
            // Claims and attempt records, plus /metrics scrapes.
            let pool = PostgresPool(configuration: database.backgroundConfiguration, size: 3, logger: logger)
            try await database.prepareSchema(pool, logger: logger)
            Observability.bootstrap()
            let service = DeliveryService(pool: pool, configuration: try delivery.configuration(embedded: database.isEmbedded), logger: logger)
            var services: [any Service] = [pool, service]
            let port = metricsPort ?? ProcessInfo.processInfo.environment["METRICS_PORT"].flatMap(Int.init)
            if let port {
                let host = ProcessInfo.processInfo.environment["HOST"] ?? "0.0.0.0"
                services.append(HTTPApplication.operations(hostname: host, port: port, pool: pool, logger: logger))
            }
            logger.notice("addon-lifecycle delivering")
            try await ServiceRunner.run(services, ports: port.map { [$0] } ?? [], logger: logger)
        }
    }
}
