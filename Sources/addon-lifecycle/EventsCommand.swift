import ArgumentParser
import Ingest
import Postgres
import Store

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Operator commands for stored events.",
        subcommands: [Retry.self])

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Makes a failed event pending again and its subscription due now.")

        @OptionGroup var options: GlobalOptions

        @Argument(help: "The event id (evt_…).")
        var id: String

        func run() async throws {
            let logger = options.makeLogger()
            let id = self.id
            let outcome = try await Database.with(url: options.resolvedDatabaseURL, logger: logger) { database in
                let pool = PostgresPool(configuration: database.configuration, size: 1, logger: logger)
                return try await pool.withTransaction { connection in try EventRetry.retry(id: id, on: connection) }
            }
            switch outcome {
            case .retried:
                print("event \(id) is pending again; a worker will apply it")
            case .notFailed(let status):
                throw ConfigurationError("event \(id) is \(status), not failed: nothing to retry")
            case .notFound:
                throw ConfigurationError("no event \(id)")
            case .addonOwnedElsewhere(let owner):
                throw ConfigurationError("event \(id) attaches an add-on that belongs to subscription \(owner): it cannot be applied")
            }
        }
    }
}
