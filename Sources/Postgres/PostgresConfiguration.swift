import CLibPQ
import Foundation

/// How to reach PostgreSQL: a libpq URI (`postgresql://…`) or conninfo string (`host=… dbname=…`),
/// plus defaults this service wants unless the string overrides them.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    /// The string as given (may contain a password: never log it; use `description`).
    public var connectionString: String
    /// Seconds libpq waits for a connection; bounds how long a request can hang on a dead server.
    public var connectTimeout: Int
    public var applicationName: String
    /// Session `statement_timeout` / `lock_timeout`, set on every (re)connect: a stuck lock or a
    /// hung statement then fails the call instead of holding a connection forever.
    public var statementTimeout: Duration?
    public var lockTimeout: Duration?
    /// Plan every statement for its parameters and the tables as they are now, never from a cached
    /// generic plan. For the workers: a plan cached while `events` was nearly empty (a fresh
    /// database) stays a sequential scan, at 10 ms a batch and growing, until autovacuum next
    /// analyzes the table; planning afresh costs about 0.1 ms a statement.
    public var customPlans = false

    public init(_ connectionString: String, connectTimeout: Int = 5, applicationName: String = "addon-lifecycle",
                statementTimeout: Duration? = nil, lockTimeout: Duration? = nil) {
        self.connectionString = connectionString
        self.connectTimeout = connectTimeout
        self.applicationName = applicationName
        self.statementTimeout = statementTimeout
        self.lockTimeout = lockTimeout
    }

    /// Session settings to apply after connecting, as (name, value) for `set_config`.
    var sessionSettings: [(String, String)] {
        func milliseconds(_ duration: Duration) -> String {
            String(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
        }
        var settings: [(String, String)] = []
        if let statementTimeout { settings.append(("statement_timeout", milliseconds(statementTimeout))) }
        if let lockTimeout { settings.append(("lock_timeout", milliseconds(lockTimeout))) }
        if customPlans { settings.append(("plan_cache_mode", "force_custom_plan")) }
        return settings
    }

    /// Parses the string with libpq itself, so URIs and conninfo behave exactly as in psql.
    public func parsedOptions() throws(PostgresError) -> [String: String] {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            let message = errorMessage.map { String(cString: $0) } ?? "invalid connection string"
            PQfreemem(errorMessage)
            // libpq quotes the offending token, which may be part of a password: drop quoted text.
            throw PostgresError(.connectionFailed, message: "invalid DATABASE_URL: \(Self.withoutQuotedText(message))")
        }
        defer { PQconninfoFree(options) }
        var result: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { result[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        return result
    }

    /// `host:port/database` as libpq would resolve it from the string and the PG* environment.
    public var description: String {
        guard let options = try? parsedOptions() else { return "<invalid DATABASE_URL>" }
        let host = options["host"] ?? options["hostaddr"] ?? "localhost"
        let port = options["port"] ?? "5432"
        let database = options["dbname"] ?? options["user"] ?? "?"
        return "\(host):\(port)/\(database)"
    }

    /// Removes the password from a libpq message, in case libpq echoed part of the string.
    func redact(_ message: String) -> String {
        guard let password = (try? parsedOptions())?["password"], !password.isEmpty else { return message }
        return message.replacingOccurrences(of: password, with: "***")
    }

    static func withoutQuotedText(_ message: String) -> String {
        var result = ""
        var inQuote = false
        for character in message.oneLine {
            if character == "\"" {
                inQuote.toggle()
                if inQuote { result += "\"…\"" }
            } else if !inQuote {
                result.append(character)
            }
        }
        return result
    }

    /// Keyword/value pairs for PQconnectdbParams. Our defaults come first: with expand_dbname the
    /// connection string's own settings override them.
    var connectParameters: [(String, String)] {
        [
            ("connect_timeout", String(connectTimeout)),
            ("application_name", applicationName),
            // Fail fast on a dead peer instead of waiting for TCP's default (hours).
            ("keepalives_idle", "10"),
            ("keepalives_interval", "5"),
            ("keepalives_count", "3"),
            // Keepalives do not run while sent data waits for an acknowledgement: a primary whose
            // machine vanished mid-request would hold the connection for TCP's ~15 minutes.
            ("tcp_user_timeout", "15000"),
            ("dbname", connectionString),
        ]
    }
}

