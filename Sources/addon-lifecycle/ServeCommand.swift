import API
import ArgumentParser
import Delivery
import Ingest
import Logging
import Postgres
import ServiceLifecycle
import Store
import Worker

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Runs the HTTP ingest and API only (run as many as needed; workers run separately with `work`).")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var http: HTTPOptions
    @OptionGroup var delivery: DeliveryOptions

    func run() async throws {
        try await HTTPService.run(options: options, http: http, workers: nil, delivery: delivery, delivers: false, banner: "addon-lifecycle serving")
    }
}

/// What `serve` and `run` share: database, schema check, HTTP application, and one service group
/// (with the workers too, for `run`).
enum HTTPService {
    /// `delivers`: run delivery too (`run`); `delivery` also says which endpoint URLs the API accepts.
    static func run(options: GlobalOptions, http: HTTPOptions, workers: WorkerService.Configuration?, delivery: DeliveryOptions,
                    delivers: Bool, banner: String) async throws {
        let logger = options.makeLogger()
        HTTPLimits.raiseFileLimit()
        try await Database.with(url: options.resolvedDatabaseURL, logger: logger) { database in
            let verifier = try http.verifier(embedded: database.isEmbedded, logger: logger)
            let apiToken = try http.apiToken(embedded: database.isEmbedded, logger: logger)
            var configuration = database.configuration
            // A stuck lock or statement fails the batch (503, the provider retries) instead of
            // holding ingest's connections; 8 s keeps every answer within 10 s.
            configuration.statementTimeout = .seconds(8)
            configuration.lockTimeout = .seconds(5)
            // Two group-commit flushers, plus reads of the API and /metrics.
            let pool = PostgresPool(configuration: configuration, size: 6, logger: logger)
            try await database.prepareSchema(pool, logger: logger)
            // Reads of the API from a hot standby, when given (a replica lags: README).
            var readPool: PostgresPool?
            if let readURL = options.resolvedReadDatabaseURL {
                var readConfiguration = PostgresConfiguration(readURL)
                _ = try readConfiguration.parsedOptions()
                readConfiguration.statementTimeout = .seconds(8)
                readPool = PostgresPool(configuration: readConfiguration, size: 4, logger: logger)
            }
            Observability.bootstrap()
            let deliveryConfiguration = try delivery.configuration(embedded: database.isEmbedded)
            let app = HTTPApplication.application(
                .init(hostname: http.resolvedHost, port: http.resolvedPort, verifier: verifier, apiToken: apiToken,
                      allowPrivateDestinations: deliveryConfiguration.allowPrivateDestinations), pool: pool, readPool: readPool, logger: logger)
            var services: [any Service] = [pool] + (readPool.map { [$0] } ?? [])
            if let workers {
                let workerPool = PostgresPool(configuration: database.backgroundConfiguration, size: workers.workers + 1, logger: logger)
                services += [workerPool, WorkerService(pool: workerPool, configuration: workers, logger: logger)]
            }
            if delivers {
                let deliveryPool = PostgresPool(configuration: database.backgroundConfiguration, size: 2, logger: logger)
                services += [deliveryPool, DeliveryService(pool: deliveryPool, configuration: deliveryConfiguration, logger: logger)]
            }
            // Shutdown runs in reverse: HTTP stops accepting and drains first, then the workers
            // finish their batches, then the pools close.
            logger.notice("\(banner)", metadata: ["port": "\(http.resolvedPort)"])
            try await ServiceRunner.run(services + [app], ports: [http.resolvedPort], logger: logger)
        }
    }
}
