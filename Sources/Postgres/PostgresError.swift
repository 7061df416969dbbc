import CLibPQ
import Foundation

/// An error from PostgreSQL or from this module, with the SQLSTATE mapped to a kind callers can match.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// The connection could not be established (message names host, port and database, never the password).
        case connectionFailed
        /// The connection broke while in use (socket closed, server shut down, SQLSTATE class 08 / 57P0x).
        case connectionLost
        case uniqueViolation  // 23505
        case foreignKeyViolation  // 23503
        case notNullViolation  // 23502
        case checkViolation  // 23514
        case serializationFailure  // 40001
        case deadlockDetected  // 40P01
        case lockNotAvailable  // 55P03
        case queryCanceled  // 57014 (statement_timeout, cancel)
        case undefinedTable  // 42P01
        case syntaxError  // 42601
        /// The server no longer takes writes (25006): a standby, or a primary being demoted in a
        /// failover. The connection is closed, so the next use finds the primary again.
        case readOnly
        /// The commit is done on this server, but the synchronous standby never confirmed it (the
        /// wait was cancelled by pg_cancel_backend or a pooler; statement_timeout does not reach
        /// a commit): it may not survive a failover,
        /// so it must not be acknowledged. Retrying finds the row there (a duplicate) or not.
        case commitNotReplicated
        /// Any other server error; see `sqlState`.
        case server
        /// A value could not be decoded into the requested Swift type.
        case decoding
        /// The pool or connection was closed, or no connection became available in time.
        case unavailable
    }

    public var kind: Kind
    /// Five-character SQLSTATE when the server sent one.
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var constraint: String?

    public init(_ kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil, constraint: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.constraint = constraint
    }

    /// True when retrying on a fresh connection or in a new transaction may succeed.
    public var isTransient: Bool {
        switch kind {
        case .connectionFailed, .connectionLost, .readOnly, .commitNotReplicated, .serializationFailure, .deadlockDetected, .lockNotAvailable, .unavailable:
            return true
        default:
            return false
        }
    }

    /// The statement's data was refused (SQLSTATE classes 22 data exception and 23 integrity
    /// violation): retrying the same values cannot succeed. Everything else may be the server's
    /// condition (disk full, read-only after failover, missing schema, …).
    public var isDataError: Bool {
        guard let sqlState else { return false }
        return sqlState.hasPrefix("22") || sqlState.hasPrefix("23")
    }

    public var description: String {
        var text = "\(kind.rawValue)"
        if let sqlState { text += " [\(sqlState)]" }
        text += ": \(message)"
        if let detail { text += " (\(detail))" }
        return text
    }

    static func kind(forSQLState state: String) -> Kind {
        switch state {
        case "23505": return .uniqueViolation
        case "23503": return .foreignKeyViolation
        case "23502": return .notNullViolation
        case "23514": return .checkViolation
        case "40001": return .serializationFailure
        case "40P01": return .deadlockDetected
        case "55P03": return .lockNotAvailable
        case "57014": return .queryCanceled
        case "42P01": return .undefinedTable
        case "42601": return .syntaxError
        // admin_shutdown, crash_shutdown, cannot_connect_now: the server is going away.
        case "57P01", "57P02", "57P03": return .connectionLost
        case "25006": return .readOnly
        default:
            return state.hasPrefix("08") ? .connectionLost : .server
        }
    }

    /// Builds the error for a failed result (or a missing one), reading the diagnostic fields.
    static func from(result: OpaquePointer?, connection: OpaquePointer?) -> PostgresError {
        func field(_ code: UInt8) -> String? {
            guard let result, let value = PQresultErrorField(result, Int32(code)) else { return nil }
            return String(cString: value)
        }
        let connectionBroken = connection.map { PQstatus($0) != CONNECTION_OK } ?? true
        if let state = field(UInt8(ascii: "C")) {
            var kind = kind(forSQLState: state)
            if connectionBroken { kind = .connectionLost }
            return PostgresError(
                kind, sqlState: state,
                message: field(UInt8(ascii: "M")) ?? "unknown error",
                detail: field(UInt8(ascii: "D")),
                constraint: field(UInt8(ascii: "n")))
        }
        let message = connection.flatMap { PQerrorMessage($0) }.map { String(cString: $0) } ?? "no connection"
        return PostgresError(
            connectionBroken ? .connectionLost : .server,
            message: message.oneLine)
    }
}

extension String {
    /// libpq and pg_ctl write several lines; logs and CLI errors want one.
    var oneLine: String {
        split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }
}
