import Logging
import ServiceLifecycle
import Synchronization

/// A bounded pool of connections, each on its own thread. A swift-service-lifecycle `Service`:
/// `run()` keeps it open until graceful shutdown, then closes every connection.
///
/// Connections are opened lazily and checked before each use, so the pool rides out a server
/// restart: a connection that broke while idle is reopened on its next lease, and a failed connect
/// surfaces as `.connectionFailed` (bounded by `connect_timeout`) instead of a hang.
///
/// Bookkeeping is a mutex, not an actor: a lease costs no thread hop, so the only hop per
/// `withConnection` is onto the connection's own thread and back.
public final class PostgresPool: Service, Sendable {
    public let configuration: PostgresConfiguration
    public let size: Int
    /// How long a caller waits for a free connection before `.unavailable`.
    public let acquireTimeout: Duration
    private let logger: Logger

    private struct State {
        var idle: [PostgresConnection] = []
        /// Connections created and not yet discarded (idle + leased).
        var created = 0
        var waiters: [(id: Int, continuation: CheckedContinuation<PostgresConnection, any Error>)] = []
        var nextWaiterID = 0
        var closed = false
    }
    private let state = Mutex(State())

    public init(configuration: PostgresConfiguration, size: Int = 4, acquireTimeout: Duration = .seconds(5), logger: Logger) {
        precondition(size > 0, "a pool needs at least one connection")
        self.configuration = configuration
        self.size = size
        self.acquireTimeout = acquireTimeout
        self.logger = logger
    }

    /// Runs `body` on a healthy connection's thread. The connection returns to the pool afterwards,
    /// also when `body` throws.
    @discardableResult
    public func withConnection<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) async throws -> T {
        let connection = try await lease()
        defer { release(connection) }
        return try await connection.run { connection in
            try connection.reconnectIfNeeded()
            defer { connection.rollbackIfOpen() }
            return try body(connection)
        }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    @discardableResult
    public func withTransaction<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) async throws -> T {
        try await withConnection { connection in try connection.withTransaction(body) }
    }

    /// Keeps the pool open until graceful shutdown (or cancellation), then closes it.
    public func run() async throws {
        try? await gracefulShutdown()
        close()
    }

    /// Fails waiting callers and closes idle connections; leased ones close when returned.
    public func close() {
        let (waiters, idle) = state.withLock { state -> ([CheckedContinuation<PostgresConnection, any Error>], [PostgresConnection]) in
            guard !state.closed else { return ([], []) }
            state.closed = true
            let result = (state.waiters.map(\.continuation), state.idle)
            state.created -= state.idle.count
            state.waiters.removeAll()
            state.idle.removeAll()
            return result
        }
        for waiter in waiters { waiter.resume(throwing: Self.closedError) }
        for connection in idle { Task { await connection.close() } }
    }

    private static let closedError = PostgresError(.unavailable, message: "connection pool is closed")

    private enum Grant {
        case connection(PostgresConnection)
        /// A free slot: make a connection (it opens on its own thread at first use).
        case create
        case closed
        case wait
    }

    /// Takes an idle connection or a free slot under the lock; otherwise, if `waiter` is given,
    /// queues it (still under the lock, so a concurrent release cannot slip past it).
    private func grant(orEnqueue waiter: (id: Int, continuation: CheckedContinuation<PostgresConnection, any Error>)? = nil) -> Grant {
        state.withLock { state in
            if state.closed { return .closed }
            if let connection = state.idle.popLast() { return .connection(connection) }
            if state.created < size {
                state.created += 1
                return .create
            }
            if let waiter { state.waiters.append(waiter) }
            return .wait
        }
    }

    private func lease() async throws -> PostgresConnection {
        switch grant() {
        case .connection(let connection): return connection
        case .create: return PostgresConnection(configuration: configuration)
        case .closed: throw Self.closedError
        case .wait: break
        }
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        let timeout = acquireTimeout
        let timer = Mutex<Task<Void, Never>?>(nil)
        defer { timer.withLock { $0?.cancel() } }
        return try await withCheckedThrowingContinuation { continuation in
            switch grant(orEnqueue: (id, continuation)) {
            case .connection(let connection): continuation.resume(returning: connection)
            case .create: continuation.resume(returning: PostgresConnection(configuration: configuration))
            case .closed: continuation.resume(throwing: Self.closedError)
            case .wait:
                // Started only once the waiter is queued, so it always finds it (or nothing, if served).
                timer.withLock {
                    $0 = Task { [weak self] in
                        guard (try? await Task.sleep(for: timeout)) != nil else { return }
                        self?.timeOut(waiter: id)
                    }
                }
            }
        }
    }

    private func timeOut(waiter id: Int) {
        let waiter = state.withLock { state in
            state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0) }
        }
        waiter?.continuation.resume(throwing: PostgresError(
            .unavailable, message: "no database connection became free within \(acquireTimeout)"))
    }

    private func release(_ connection: PostgresConnection) {
        enum Next { case handTo(CheckedContinuation<PostgresConnection, any Error>), discard, keep }
        let next = state.withLock { state -> Next in
            if state.closed {
                state.created -= 1
                return .discard
            }
            if !state.waiters.isEmpty { return .handTo(state.waiters.removeFirst().continuation) }
            state.idle.append(connection)
            return .keep
        }
        switch next {
        case .handTo(let waiter): waiter.resume(returning: connection)
        case .discard: Task { await connection.close() }
        case .keep: break
        }
    }
}
