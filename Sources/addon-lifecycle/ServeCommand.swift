import ArgumentParser
import Ingest
import Postgres
import ServiceLifecycle
import Store

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Runs the HTTP ingest and API only (run as many as needed; workers run separately with `work`).")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var http: HTTPOptions

    func run() async throws {
        let logger = options.makeLogger()
        try await Database.with(url: options.resolvedDatabaseURL, logger: logger) { database in
            let verifier = try http.verifier(embedded: database.isEmbedded, logger: logger)
            let pool = PostgresPool(configuration: database.configuration, size: 4, logger: logger)
            try await database.prepareSchema(pool, logger: logger)
            let app = IngestApplication.application(
                .init(hostname: http.resolvedHost, port: http.resolvedPort, verifier: verifier), pool: pool, logger: logger)
            // Shutdown runs in reverse: HTTP stops accepting and drains first, then the pool closes.
            let group = ServiceGroup(configuration: .init(
                services: [pool, app],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
            logger.notice("addon-lifecycle serving", metadata: ["port": "\(http.resolvedPort)"])
            try await group.run()
        }
    }
}
