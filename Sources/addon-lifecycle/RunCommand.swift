import ArgumentParser
import Ingest
import Postgres
import ServiceLifecycle
import Store

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Runs ingest and workers in one process (with no DATABASE_URL, on a private PostgreSQL).")

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
            // The workers (issue 5) join this group as a service.
            let group = ServiceGroup(configuration: .init(
                services: [pool, app],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
            logger.notice("addon-lifecycle running", metadata: ["port": "\(http.resolvedPort)"])
            try await group.run()
        }
    }
}
