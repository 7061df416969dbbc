import ArgumentParser
import Foundation
import Lifecycle
import EventFormat
import Postgres
import Store

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Writes the event log as NDJSON: one envelope per line, raw as received, in logical-time order.",
        discussion: """
            Events are ordered by their envelope time, then id, from one consistent snapshot, and streamed
            (memory stays flat). --since is inclusive and --until exclusive. Feed the output to `replay`.
            """)

    @OptionGroup var options: GlobalOptions
    @Option(help: "Only this project's events.") var project: String?
    @Option(help: "Only this subscription's events.") var subscription: String?
    @Option(help: "Only events with time at or after this RFC 3339 instant.") var since: String?
    @Option(help: "Only events with time before this RFC 3339 instant.") var until: String?
    @Flag(help: "Read from READ_DATABASE_URL, a hot standby (it lags the primary: not for `replay --check`, which compares with the primary).")
    var standby = false

    func validate() throws {
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, Instant(rfc3339: value) == nil {
                throw ValidationError("\(name) '\(value)' is not an RFC 3339 instant (e.g. 2025-12-15T10:30:00Z)")
            }
        }
    }

    func run() async throws {
        let logger = options.makeLogger()
        let filter = EventExport.Filter(
            project: project, subscription: subscription,
            since: since.flatMap(Instant.init(rfc3339:)).map(PostgresTimestamp.init),
            until: until.flatMap(Instant.init(rfc3339:)).map(PostgresTimestamp.init))
        // From a hot standby only when asked: it lags the primary by its replay delay.
        let url = standby ? (options.resolvedReadDatabaseURL ?? options.resolvedDatabaseURL) : options.resolvedDatabaseURL
        let count = try await Database.with(url: url, logger: logger) { database in
            let pool = PostgresPool(configuration: database.configuration, size: 1, logger: logger)
            try await database.prepareSchema(pool, logger: logger)
            return try await pool.withConnection { connection in
                var output = LineOutput(progressLabel: "exported")
                try EventExport.stream(filter, on: connection) { bodies in
                    for body in bodies { output.writeLine(body) }
                    guard output.flush() else { throw ExitCode(EX_IOERR) }
                }
                output.finish()
                return output.lines
            }
        }
        logger.info("exported", metadata: ["events": "\(count)"])
    }
}
