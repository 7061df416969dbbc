import CLibPQ
import Foundation
import Logging

/// One libpq connection, as an actor whose executor is a dedicated thread.
///
/// Every method runs on that thread, so blocking libpq calls never occupy Swift's cooperative pool.
/// Callers `await` the methods; `withTransaction` runs a whole synchronous body on the thread without
/// hops, which keeps transactions short and their statements in order.
public actor PostgresConnection {
    private let executor: ThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    public nonisolated let configuration: PostgresConfiguration
    /// The `PGconn`, nil before `open()` and after `close()`.
    var handle: OpaquePointer?
    /// What the notice receiver saw during the current statement (on this connection's thread).
    private let notices = Notices()
    /// SQL text (and parameter types) → name of the statement prepared on this connection.
    private var preparedStatements: [String: String] = [:]
    /// Bounds the cache, in case some caller builds many distinct statements.
    private static let preparedStatementLimit = 512

    init(configuration: PostgresConfiguration) {
        self.configuration = configuration
        self.executor = ThreadExecutor(name: "postgres")
    }

    isolated deinit {
        if let handle { PQfinish(handle) }
        executor.shutdown()
    }

    /// Opens a connection. The error names host, port and database, never the password.
    public static func connect(_ configuration: PostgresConfiguration) async throws(PostgresError) -> PostgresConnection {
        let connection = PostgresConnection(configuration: configuration)
        try await connection.open()
        return connection
    }

    /// (Re)establishes the connection, dropping any previous one.
    func open() throws(PostgresError) {
        close()
        handle = try PostgresConnector.connect(configuration).get()
        PQsetNoticeReceiver(handle, Notices.receiver, Unmanaged.passUnretained(notices).toOpaque())
        for (name, value) in configuration.sessionSettings {
            try query("SELECT set_config($1, $2, false)", [name, value])
        }
    }

    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
        preparedStatements.removeAll()
    }

    /// True when the connection is open and the server has not gone away while it was idle.
    ///
    /// An idle connection should receive next to nothing; a server that shut down sends a FATAL
    /// message and closes the socket. Reading whatever is pending, without blocking, until the
    /// socket is quiet notices that before a query is sent into a dead connection.
    public var isHealthy: Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return false }
        guard PQtransactionStatus(handle) == PQTRANS_IDLE else { return true }
        var socket = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        for _ in 0..<16 {
            guard poll(&socket, 1, 0) > 0 else { return true }
            if socket.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 { return false }
            if PQconsumeInput(handle) == 0 || PQstatus(handle) != CONNECTION_OK { return false }
        }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Reconnects if the connection broke (e.g. the server restarted). Cheap when healthy.
    public func reconnectIfNeeded() throws(PostgresError) {
        if !isHealthy { try open() }
    }

    /// The backend's process id (for tests and diagnostics).
    public var backendPID: Int32 { handle.map { PQbackendPID($0) } ?? 0 }

    /// Runs one statement with parameters bound in binary format and returns its rows.
    ///
    /// Statements are prepared once per connection and reused, so hot queries skip parsing and planning.
    @discardableResult
    public func query(_ sql: String, _ binds: [any PostgresEncodable] = []) throws(PostgresError) -> PostgresRows {
        let connection = try liveHandle()
        let types = binds.map { type(of: $0).postgresType.rawValue }
        let statement = try preparedStatement(for: sql, types: types, on: connection)
        let result = Self.withParameters(binds) { count, values, lengths, formats in
            if let statement {
                return PQexecPrepared(connection, statement, count, values, lengths, formats, 1)
            }
            return types.withUnsafeBufferPointer {
                PQexecParams(connection, sql, count, $0.baseAddress, values, lengths, formats, 1)
            }
        }
        return try check(result)
    }

    /// Runs SQL text without parameters, possibly several statements (migrations, BEGIN/COMMIT).
    @discardableResult
    public func simpleQuery(_ sql: String) throws(PostgresError) -> PostgresRows {
        let connection = try liveHandle()
        return try check(PQexec(connection, sql))
    }

    /// Runs `body` inside BEGIN … COMMIT on this connection's thread. A thrown error rolls back and
    /// is rethrown; nothing the body wrote stays.
    @discardableResult
    public func withTransaction<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) throws -> T {
        let connection = try liveHandle()
        guard PQtransactionStatus(connection) == PQTRANS_IDLE else {
            throw PostgresError(.server, message: "withTransaction called inside an open transaction")
        }
        try simpleQuery("BEGIN")
        do {
            let value = try body(self)
            try simpleQuery("COMMIT")
            return value
        } catch {
            rollbackIfOpen()
            throw error
        }
    }

    /// Runs `body` on this connection's thread (several statements without hops between them).
    @discardableResult
    public func run<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) rethrows -> T {
        try body(self)
    }

    /// Rolls back a transaction a caller left open, so a pooled connection is always returned idle.
    public func rollbackIfOpen() {
        guard let handle, PQstatus(handle) == CONNECTION_OK, PQtransactionStatus(handle) != PQTRANS_IDLE else { return }
        _ = try? simpleQuery("ROLLBACK")
    }

    func liveHandle() throws(PostgresError) -> OpaquePointer {
        guard let handle else { throw PostgresError(.connectionLost, message: "connection is closed") }
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(.connectionLost, message: "connection to \(configuration.description) was lost")
        }
        return handle
    }

    private func preparedStatement(for sql: String, types: [UInt32], on connection: OpaquePointer) throws(PostgresError) -> String? {
        let key = types.isEmpty ? sql : sql + "\u{0}" + types.map(String.init).joined(separator: ",")
        if let name = preparedStatements[key] { return name }
        guard preparedStatements.count < Self.preparedStatementLimit else { return nil }
        let name = "s\(preparedStatements.count)"
        let result = types.withUnsafeBufferPointer {
            PQprepare(connection, name, sql, Int32(types.count), $0.baseAddress)
        }
        _ = try check(result)
        preparedStatements[key] = name
        return name
    }

    private func check(_ result: OpaquePointer?) throws(PostgresError) -> PostgresRows {
        defer { notices.unconfirmedCommit = false }
        if let result {
            let status = PQresultStatus(result)
            if status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK, notices.unconfirmedCommit {
                PQclear(result)
                throw PostgresError(.commitNotReplicated, sqlState: "01000",
                                    message: "the commit was not confirmed by the synchronous standby (its wait was cancelled)")
            }
            if status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK {
                return PostgresRows(result: PostgresResult(result))
            }
            if status == PGRES_EMPTY_QUERY {
                PQclear(result)
                return PostgresRows()
            }
        }
        let error = PostgresError.from(result: result, connection: handle)
        if let result { PQclear(result) }
        // A lost connection is closed outright (and reopened on next use), so no state of it
        // (prepared statements, a half-done transaction) can leak into the next caller. So is
        // one to a server that stopped taking writes: reopening lets libpq find the new primary
        // (target_session_attrs=read-write).
        if error.kind == .connectionLost || error.kind == .readOnly { close() }
        throw error
    }

    /// Lays the parameters out in one buffer and hands libpq pointers into it.
    private static func withParameters<R>(
        _ binds: [any PostgresEncodable],
        _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
    ) -> R {
        var storage: [UInt8] = []
        var offsets: [Int?] = []
        var lengths: [Int32] = []
        offsets.reserveCapacity(binds.count)
        lengths.reserveCapacity(binds.count)
        for bind in binds {
            if let bytes = bind.postgresBinary() {
                offsets.append(storage.count)
                lengths.append(Int32(bytes.count))
                storage.append(contentsOf: bytes)
            } else {
                offsets.append(nil)
                lengths.append(0)
            }
        }
        // A non-NULL empty value still needs a non-nil pointer; the spare byte guarantees a base address.
        storage.append(0)
        let formats = [Int32](repeating: 1, count: binds.count)
        return storage.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            let values: [UnsafePointer<CChar>?] = offsets.map { $0.map { base + $0 } }
            return values.withUnsafeBufferPointer { values in
                lengths.withUnsafeBufferPointer { lengths in
                    formats.withUnsafeBufferPointer { formats in
                        body(Int32(binds.count), values.baseAddress, lengths.baseAddress, formats.baseAddress)
                    }
                }
            }
        }
    }
}

/// Server notices of one connection. PostgreSQL reports a commit whose wait for the synchronous
/// standby was cancelled only as a WARNING, with the commit's ordinary success after it: this
/// receiver catches it so `check` can refuse that success.
final class Notices {
    var unconfirmedCommit = false

    static let receiver: PQnoticeReceiver = { argument, result in
        guard let argument, let result else { return }
        // The function that raised it (PG_DIAG_SOURCE_FUNCTION), which lc_messages does not
        // translate; the English message as well, for a server that does not send it.
        let function = PQresultErrorField(result, Int32(UInt8(ascii: "R"))).map { String(cString: $0) }
        let message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) } ?? ""
        if function == "SyncRepWaitForLSN" || message.hasPrefix("canceling wait for synchronous replication") {
            Unmanaged<Notices>.fromOpaque(argument).takeUnretainedValue().unconfirmedCommit = true
        }
    }
}
