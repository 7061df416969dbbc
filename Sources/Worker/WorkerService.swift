import Logging
import Metrics
import Postgres
import ServiceLifecycle
import Lifecycle
import Store
import Synchronization

/// The worker actors of one process, as a `Service`: each claims due subscriptions in batches and
/// applies the lifecycle (`WorkQueue.processDue`) in one transaction per batch.
///
/// Wake-ups: a NOTIFY from ingest (a hint), the earliest `due_at` of any timer, and a polling
/// fallback. An idle process sleeps in `poll`/futex waits and uses no CPU. On graceful shutdown each
/// worker finishes and commits the batch in hand, then stops.
public final class WorkerService: Service, Sendable {
    public struct Configuration: Sendable {
        /// Worker loops in this process (`WORKERS`).
        public var workers: Int
        /// Subscriptions claimed per transaction. Each is held by an advisory lock until the commit:
        /// a process takes up to workers × batchSize of PostgreSQL's lock table, whose size is
        /// max_locks_per_transaction × max_connections (6,400 by default).
        public var batchSize: Int
        /// Longest sleep without a wake-up: the fallback if notifications are lost.
        public var pollInterval: Duration

        public init(workers: Int = 2, batchSize: Int = 100, pollInterval: Duration = .seconds(5)) {
            self.workers = workers
            self.batchSize = batchSize
            self.pollInterval = pollInterval
        }
    }

    private let pool: PostgresPool
    private let configuration: Configuration
    private let listener: PostgresListener
    private let logger: Logger
    private let bells: [Bell]
    private let stopping = Atomic<Bool>(false)
    private let transitionsRecorded = Counter(label: "addon_transitions_total")
    private let eventsProcessed = Counter(label: "addon_worker_events_processed_total")
    private let batchSizes = Recorder(label: "addon_worker_batch_size")

    public init(pool: PostgresPool, configuration: Configuration, logger: Logger) {
        self.pool = pool
        self.configuration = configuration
        self.logger = logger
        self.listener = PostgresListener(configuration: pool.configuration, channels: [EventInbox.workChannel], logger: logger)
        self.bells = (0..<max(1, configuration.workers)).map { _ in Bell() }
    }

    /// Runs until graceful shutdown or cancellation (another service of the group failed): either
    /// way each worker commits the batch in hand, then stops.
    public func run() async throws {
        try await checkLockBudget()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { try? await self.listener.run() }
                    group.addTask { await self.relayNotifications() }
                    for index in bells.indices {
                        group.addTask { await self.work(bell: self.bells[index], number: index) }
                    }
                    // Workers return only when stopping; then stop the listener so the group ends.
                    for _ in bells.indices { await group.next() }
                    self.listener.stop()
                }
            } onGracefulShutdown: {
                self.stop()
            }
        } onCancel: {
            self.stop()
        }
    }

    /// Each claimed subscription holds an advisory lock until its batch commits, an entry of
    /// PostgreSQL's shared lock table. A full table fails every session of the database ("out of
    /// shared memory"), ingest included, so a process may take at most a quarter of it. Skipped
    /// when the database cannot be asked yet (the workers wait for it as usual).
    func checkLockBudget() async throws {
        let wanted = configuration.workers * configuration.batchSize
        guard let capacity = try? await pool.withConnection({ connection in
            try connection.query("""
                SELECT current_setting('max_locks_per_transaction')::int
                       * (current_setting('max_connections')::int + current_setting('max_prepared_transactions')::int)
                """)[0].decode(Int.self, column: 0)
        }) else { return }
        if wanted * 4 > capacity { throw LockBudgetError(wanted: wanted, capacity: capacity) }
    }

    public func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        for bell in bells { bell.ring() }
    }

    private var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) }

    /// A notification (or a reconnect, after which some may have been missed) wakes every worker;
    /// SKIP LOCKED spreads the due rows among them.
    private func relayNotifications() async {
        for await _ in listener.events {
            for bell in bells { bell.ring() }
        }
    }

    private func work(bell: Bell, number: Int) async {
        let limit = configuration.batchSize
        var failures = 0
        while !isStopping {
            do {
                let outcome = try await pool.withTransaction { connection in
                    try WorkQueue.processDue(limit: limit, on: connection)
                }
                failures = 0
                record(outcome)
                if outcome.deliverable > 0 { await notifyDelivery() }
                for key in outcome.toIsolate { await isolate(key) }
                if outcome.claimed == limit { continue }  // more may be due right now
                let (next, dueNow, now) = try await pool.withConnection { connection in try WorkQueue.nextDue(on: connection) }
                // Due rows we could not claim are another batch's; look again soon in case that
                // worker died, else sleep until the next timer or a notification.
                let timeout = sleep(until: next, now: now)
                await bell.wait(timeout: dueNow ? min(timeout, Self.heldRecheck) : timeout)
            } catch {
                failures += 1
                logger.warning("worker batch failed", metadata: ["worker": "\(number)", "error": "\(error)"])
                await bell.wait(timeout: .milliseconds(min(5_000, 100 << min(failures, 6))))
            }
        }
    }

    /// How soon a worker looks again at due rows another batch held.
    static let heldRecheck: Duration = .milliseconds(200)

    /// Until the next timer (by the database's clock), at most `pollInterval`.
    private func sleep(until next: PostgresTimestamp?, now: PostgresTimestamp) -> Duration {
        guard let next else { return configuration.pollInterval }
        let micros = max(0, next.microsecondsSinceEpoch - now.microsecondsSinceEpoch)
        return min(configuration.pollInterval, .microseconds(micros))
    }

    /// Tells deliverers that messages became claimable (after the commit that made them so). A
    /// hint: they also poll.
    private func notifyDelivery() async {
        do {
            try await pool.withConnection { try $0.query("SELECT pg_notify($1, '')", [WebhookMessages.channel]) }
        } catch {
            logger.debug("could not notify delivery", metadata: ["error": "\(error)"])
        }
    }

    /// A subscription that failed `maxAttempts` times: its failing events are set aside, in a
    /// transaction of its own, so the rest of it goes on.
    private func isolate(_ key: WorkKey) async {
        logger.warning("subscription keeps failing; setting aside the events that fail it",
                       metadata: ["project": "\(key.project)", "subscription": "\(key.subscription)"])
        do {
            if let outcome = try await pool.withTransaction({ try WorkQueue.isolate(key, on: $0) }) {
                record(outcome)
                logger.warning("events set aside as failed", metadata: ["subscription": "\(key.subscription)", "failed": "\(outcome.failedEvents)"])
            } else {
                logger.warning("no event to blame; the subscription is retried with its timers kept",
                               metadata: ["project": "\(key.project)", "subscription": "\(key.subscription)"])
            }
        } catch {
            logger.warning("setting failing events aside failed", metadata: ["subscription": "\(key.subscription)", "error": "\(error)"])
        }
    }

    private func record(_ outcome: WorkQueue.Outcome) {
        guard outcome.claimed > 0 else { return }
        batchSizes.record(outcome.claimed)
        eventsProcessed.increment(by: outcome.processedEvents)
        transitionsRecorded.increment(by: outcome.recorded.count)
        for entry in outcome.recorded {
            logger.info("transition", metadata: [
                "subscriptionAddon": "\(entry.subscriptionAddon)", "subscription": "\(entry.subscription)",
                "kind": "\(entry.kind.rawValue)", "at": "\(entry.at.rfc3339)", "reason": "\(entry.reason?.rawValue ?? "-")",
            ])
        }
    }
}

/// WORKERS × WORKER_BATCH_SIZE would take too much of PostgreSQL's lock table.
public struct LockBudgetError: Error, CustomStringConvertible {
    public let wanted: Int
    public let capacity: Int

    public var description: String {
        "WORKERS × WORKER_BATCH_SIZE = \(wanted) advisory locks is more than a quarter of PostgreSQL's lock table "
            + "(max_locks_per_transaction × (max_connections + max_prepared_transactions) = \(capacity)); "
            + "lower them or raise max_locks_per_transaction"
    }
}
