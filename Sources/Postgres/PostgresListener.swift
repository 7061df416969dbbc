import CLibPQ
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// A NOTIFY received on a channel this listener LISTENs to.
public struct PostgresNotification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    public var backendPID: Int32

    public init(channel: String, payload: String, backendPID: Int32) {
        self.channel = channel
        self.payload = payload
        self.backendPID = backendPID
    }
}

/// What a listener reports to its consumer.
public enum PostgresListenerEvent: Sendable, Equatable {
    /// LISTEN is in place, initially or after a reconnect. Notifications sent while it was down are
    /// lost, so consumers treat this as "look for work now".
    case connected
    case notification(PostgresNotification)
}

/// LISTENs on channels over its own connection and thread, woken by socket readiness (`poll` on
/// `PQsocket`), not by sleeping. Reconnects with backoff when the server goes away.
public final class PostgresListener: Service, Sendable {
    public let events: AsyncStream<PostgresListenerEvent>
    private let continuation: AsyncStream<PostgresListenerEvent>.Continuation
    private let configuration: PostgresConfiguration
    private let channels: [String]
    private let logger: Logger
    /// A self-pipe: writing to `wakeWriteFD` interrupts the `poll` on `wakeFD` when we stop.
    private let wakeFD: Int32
    private let wakeWriteFD: Int32
    private let stopping = Atomic<Bool>(false)
    private let finished = Mutex<CheckedContinuation<Void, Never>?>(nil)

    public init(configuration: PostgresConfiguration, channels: [String], logger: Logger) {
        (events, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1024))
        self.configuration = configuration
        self.channels = channels
        self.logger = logger
        var fds: [Int32] = [-1, -1]
        precondition(pipe(&fds) == 0, "cannot create the listener's wake pipe")
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        // Not inherited by tools we spawn (pg_ctl, and the server it starts).
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        (wakeFD, wakeWriteFD) = (fds[0], fds[1])
    }

    deinit {
        close(wakeFD)
        close(wakeWriteFD)
    }

    /// Listens until graceful shutdown or cancellation, then closes the connection and finishes `events`.
    public func run() async throws {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                    finished.withLock { $0 = done }
                    let thread = Thread { [self] in
                        loop()
                        continuation.finish()
                        finished.withLock { $0.take() }?.resume()
                    }
                    thread.name = "postgres-listener"
                    thread.start()
                }
            } onGracefulShutdown: {
                self.stop()
            }
        } onCancel: {
            self.stop()
        }
    }

    public func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        var one: UInt8 = 1
        _ = write(wakeWriteFD, &one, 1)
    }

    private var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) }

    private func loop() {
        var backoffMilliseconds: Int32 = 100
        while !isStopping {
            guard let connection = connect() else {
                waitForWake(milliseconds: backoffMilliseconds)
                backoffMilliseconds = min(backoffMilliseconds * 2, 5_000)
                continue
            }
            backoffMilliseconds = 100
            continuation.yield(.connected)
            listen(on: connection)
            PQfinish(connection)
        }
    }

    /// Connects and issues LISTEN for every channel; nil (logged) when that fails.
    private func connect() -> OpaquePointer? {
        let connection = PostgresConnector.connect(configuration)
        switch connection {
        case .failure(let error):
            logger.warning("listener cannot connect", metadata: ["error": "\(error)"])
            return nil
        case .success(let connection):
            for channel in channels {
                // Channel names are identifiers and cannot be bound as parameters; libpq quotes them.
                let quoted = PostgresIdentifier.quote(channel)
                let result = PQexec(connection, "LISTEN " + quoted)
                let ok = result.map { PQresultStatus($0) == PGRES_COMMAND_OK } ?? false
                PQclear(result)
                if !ok {
                    logger.warning("LISTEN failed", metadata: ["channel": "\(channel)"])
                    PQfinish(connection)
                    return nil
                }
            }
            return connection
        }
    }

    /// Delivers notifications until the connection breaks or we stop.
    private func listen(on connection: OpaquePointer) {
        let socket = PQsocket(connection)
        while !isStopping {
            var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, -1)
            if ready < 0 && errno == EINTR { continue }
            if fds[1].revents != 0 { drainWake() }
            if fds[0].revents != 0 {
                guard PQconsumeInput(connection) == 1 else {
                    logger.warning("listener connection lost; reconnecting")
                    return
                }
                while let notify = PQnotifies(connection) {
                    let event = PostgresNotification(
                        channel: String(cString: notify.pointee.relname),
                        payload: String(cString: notify.pointee.extra),
                        backendPID: notify.pointee.be_pid)
                    PQfreemem(notify)
                    continuation.yield(.notification(event))
                }
                if PQstatus(connection) != CONNECTION_OK { return }
            }
        }
    }

    private func waitForWake(milliseconds: Int32) {
        var fd = pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)
        if poll(&fd, 1, milliseconds) > 0 { drainWake() }
    }

    private func drainWake() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeFD, &buffer, buffer.count) > 0 {}
    }
}
