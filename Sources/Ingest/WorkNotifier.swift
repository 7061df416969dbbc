import Logging
import Postgres
import Store
import Synchronization

/// Sends the workers' NOTIFY outside the insert transactions, coalesced: at most one in flight,
/// plus one more if new work was stored meanwhile.
///
/// Inside each insert it would hold PostgreSQL's database-wide notify lock across the commit's
/// fsync and serialize concurrent batches. A NOTIFY of its own writes no WAL, so it is cheap.
/// Workers treat it as a hint and also poll, so a lost one only delays work.
final class WorkNotifier: Sendable {
    private let pool: PostgresPool
    private let logger: Logger
    private let state = Mutex<(sending: Bool, again: Bool)>((false, false))

    init(pool: PostgresPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    func hint() {
        let start = state.withLock { state -> Bool in
            if state.sending {
                state.again = true
                return false
            }
            state.sending = true
            return true
        }
        if start { Task { await send() } }
    }

    private func send() async {
        repeat {
            do {
                try await pool.withConnection { connection in try EventInbox.notifyWorkers(on: connection) }
            } catch {
                logger.debug("work notification not sent; workers will find the work by polling", metadata: ["error": "\(error)"])
            }
        } while state.withLock { state -> Bool in
            if state.again {
                state.again = false
                return true
            }
            state.sending = false
            return false
        }
    }
}
