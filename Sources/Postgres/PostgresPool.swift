import Logging
import ServiceLifecycle

/// A bounded pool of connections, each on its own thread. A swift-service-lifecycle `Service`:
/// `run()` keeps it open until graceful shutdown, then closes every connection.
///
/// Connections are opened lazily and checked before each use, so the pool rides out a server
/// restart: a connection that broke while idle is reopened on its next lease, and a failed connect
/// surfaces as `.connectionFailed` (bounded by `connect_timeout`) instead of a hang.
public actor PostgresPool: Service {
    public nonisolated let configuration: PostgresConfiguration
    public nonisolated let size: Int
    /// How long a caller waits for a free connection before `.unavailable`.
    public nonisolated let acquireTimeout: Duration
    private let logger: Logger

    private var idle: [PostgresConnection] = []
    /// Connections created and not yet discarded (idle + leased).
    private var created = 0
    private var waiters: [(id: Int, continuation: CheckedContinuation<PostgresConnection, any Error>)] = []
    private var nextWaiterID = 0
    private var closed = false

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
        do {
            try await connection.reconnectIfNeeded()
            let value = try await connection.run(body)
            release(connection)
            return value
        } catch {
            release(connection)
            throw error
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
        guard !closed else { return }
        closed = true
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(.unavailable, message: "connection pool is closed"))
        }
        waiters.removeAll()
        for connection in idle { Task { await connection.close() } }
        created -= idle.count
        idle.removeAll()
    }

    private func lease() async throws -> PostgresConnection {
        if closed { throw PostgresError(.unavailable, message: "connection pool is closed") }
        if let connection = idle.popLast() { return connection }
        if created < size {
            created += 1
            // Opened on its own thread by reconnectIfNeeded(), not here on the pool's executor.
            return PostgresConnection(configuration: configuration)
        }
        let id = nextWaiterID
        nextWaiterID += 1
        let timeout = acquireTimeout
        return try await withCheckedThrowingContinuation { continuation in
            waiters.append((id, continuation))
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.timeOut(waiter: id)
            }
        }
    }

    private func timeOut(waiter id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters.remove(at: index)
        waiter.continuation.resume(throwing: PostgresError(
            .unavailable, message: "no database connection became free within \(acquireTimeout)"))
    }

    private func release(_ connection: PostgresConnection) {
        if closed {
            created -= 1
            Task { await connection.close() }
        } else if !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }
}
