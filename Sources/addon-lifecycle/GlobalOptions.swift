import ArgumentParser
import Foundation
import Logging

/// Options every command shares. Flags win over the environment.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: "libpq URI or conninfo string (env: DATABASE_URL). Without it, a private cluster under .addon-lifecycle/ is used.")
    var databaseURL: String?

    @Option(name: .customLong("read-database-url"),
            help: "A hot standby for the read API (add-ons, subscriptions, event records) and `export` (env: READ_DATABASE_URL). Writes and `replay --check` always use DATABASE_URL.")
    var readDatabaseURL: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env: LOG_LEVEL).")
    var logLevel: String?

    var resolvedDatabaseURL: String? {
        let value = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"]
        return value?.isEmpty == false ? value : nil
    }

    var resolvedReadDatabaseURL: String? {
        let value = readDatabaseURL ?? ProcessInfo.processInfo.environment["READ_DATABASE_URL"]
        return value?.isEmpty == false ? value : nil
    }

    func validate() throws {
        if let level = logLevel ?? ProcessInfo.processInfo.environment["LOG_LEVEL"], Logger.Level(rawValue: level) == nil {
            throw ValidationError("invalid log level '\(level)'; use trace, debug, info, notice, warning, error or critical")
        }
    }

    /// Sets up stderr logging once per process and returns the root logger.
    func makeLogger() -> Logger {
        let level = (logLevel ?? ProcessInfo.processInfo.environment["LOG_LEVEL"]).flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "addon-lifecycle")
    }
}
