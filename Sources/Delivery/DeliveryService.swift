import Foundation
import Logging
import Metrics
import Postgres
import ServiceLifecycle
import Store
import Synchronization

/// Outbound delivery as a `Service` (SPEC §6): claims due messages in batches, sends each (up to
/// `concurrency` at once), and records the attempts in batches. Any number of processes may
/// deliver at once: a claim is a lease, so messages are shared out and a killed process's
/// messages are claimed again once their lease runs out (the worst case: sent twice, with the same
/// `webhook-id`).
///
/// Wake-ups: a NOTIFY from the workers when they queue a claimable message, a queue moving on
/// after an attempt, the earliest retry, and a polling fallback. On graceful shutdown (or
/// cancellation) it claims nothing more, lets the attempts in flight finish (each is bounded by
/// `requestTimeout`) and records them; what it cannot record goes out again after its lease.
public final class DeliveryService: Service, Sendable {
    private let pool: PostgresPool
    private let configuration: DeliveryConfiguration
    private let logger: Logger
    private let listener: PostgresListener
    private let sender: Sender
    private let claimBell = Bell()
    private let recordBell = Bell()
    private let repairBell = Bell()
    private let state = Mutex(State())
    private let attemptsByOutcome = Mutex<[String: Counter]>([:])
    private let duration = Timer(label: "addon_delivery_duration_seconds", preferredDisplayUnit: .seconds)

    /// One claim of one message: a message claimed again (its lease ran out while its first attempt
    /// was still going, e.g. stuck in DNS) is a second attempt, tracked on its own.
    private struct AttemptKey: Hashable {
        var seq: Int64
        var claim: Int64
    }

    private struct State {
        var stopping = false
        /// Attempts in flight with the instant past which they are cancelled.
        var attempts: [AttemptKey: (task: Task<Void, Never>, deadline: ContinuousClock.Instant)] = [:]
        var inFlight: Int { attempts.count }
        /// Attempts in flight per endpoint.
        var perEndpoint: [String: Int] = [:]
        var completions: [WebhookMessages.Completion] = []
    }

    public init(pool: PostgresPool, configuration: DeliveryConfiguration, logger: Logger) {
        self.pool = pool
        self.configuration = configuration
        self.logger = logger
        self.listener = PostgresListener(configuration: pool.configuration, channels: [WebhookMessages.channel], logger: logger)
        self.sender = Sender(configuration: configuration)
    }

    public func run() async throws {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { try? await self.listener.run() }
                    group.addTask {
                        for await _ in self.listener.events { self.claimBell.ring() }
                    }
                    group.addTask { await self.recordCompletions() }
                    group.addTask { await self.enforceDeadlines() }
                    group.addTask { await self.repairQueues() }
                    await self.claimAndSend()
                    self.recordBell.ring()
                    self.listener.stop()
                    await group.waitForAll()
                }
            } onGracefulShutdown: {
                self.stop()
            }
        } onCancel: {
            self.stop()
        }
        await sender.shutdown()
    }

    public func stop() {
        state.withLock { $0.stopping = true }
        claimBell.ring()
        recordBell.ring()
        repairBell.ring()
    }

    private var isStopping: Bool { state.withLock { $0.stopping } }

    /// The least a claim waits for room for while attempts are in flight.
    private var minimumClaim: Int { max(1, min(configuration.claimBatch, configuration.concurrency) / 4) }

    /// Claims while there is room, sends each message in a task of its own; returns once stopping
    /// and every attempt in flight has ended.
    private func claimAndSend() async {
        var failures = 0
        while !isStopping {
            // Claims go in batches: with attempts in flight, wait until there is room for a good
            // share of a batch rather than claim one message per finished attempt.
            let inFlight = state.withLock { $0.inFlight }
            let room = configuration.concurrency - inFlight
            guard room >= minimumClaim || inFlight == 0 else {
                await claimBell.wait(timeout: .milliseconds(100))
                continue
            }
            do {
                let perEndpoint = configuration.concurrencyPerEndpoint
                let inFlightByEndpoint = state.withLock { $0.perEndpoint }
                let claimed = try await pool.withConnection { [configuration] connection in
                    try WebhookMessages.claim(limit: min(room, configuration.claimBatch), lease: configuration.lease,
                                              perEndpoint: perEndpoint, inFlight: inFlightByEndpoint, on: connection)
                }
                failures = 0
                guard !claimed.isEmpty else {
                    let (next, now) = try await pool.withConnection { try WebhookMessages.nextDue(on: $0) }
                    // With every due message's endpoint at its share, wait for an attempt to end.
                    let atShare = inFlightByEndpoint.values.contains { $0 >= perEndpoint }
                    await claimBell.wait(timeout: atShare ? .milliseconds(100) : sleep(until: next, now: now))
                    continue
                }
                let deadline = ContinuousClock.now + configuration.requestTimeout
                state.withLock { state in
                    // Registered before it can finish: the task's `send` waits for this lock.
                    for message in claimed {
                        state.perEndpoint[message.endpoint, default: 0] += 1
                        state.attempts[AttemptKey(seq: message.seq, claim: message.claim)] = (Task { await self.send(message) }, deadline)
                    }
                }
            } catch {
                failures += 1
                logger.warning("delivery: claiming failed", metadata: ["error": "\(error)"])
                await claimBell.wait(timeout: .milliseconds(min(5_000, 100 << min(failures, 6))))
            }
        }
        while state.withLock({ $0.inFlight }) > 0 { await claimBell.wait(timeout: .milliseconds(100)) }
    }

    /// One attempt, then its completion queued for recording.
    private func send(_ message: WebhookMessages.Claimed) async {
        let completion = await sender.attempt(message)
        count(completion)
        let (inFlight, endpointInFlight) = state.withLock {
            $0.attempts[AttemptKey(seq: message.seq, claim: message.claim)] = nil
            $0.perEndpoint[message.endpoint, default: 1] -= 1
            let left = $0.perEndpoint[message.endpoint] ?? 0
            if left == 0 { $0.perEndpoint[message.endpoint] = nil }
            $0.completions.append(completion)
            return ($0.inFlight, left)
        }
        recordBell.ring()
        // Room for a good share of a batch, overall or for an endpoint at its share.
        if configuration.concurrency - inFlight == minimumClaim || inFlight == 0
            || configuration.concurrencyPerEndpoint - endpointInFlight == minimumClaim {
            claimBell.ring()
        }
    }

    /// An attempt ends within `requestTimeout` whatever the receiver does: four times a second,
    /// attempts past their deadline are cancelled (one timer for all, not one per attempt).
    private func enforceDeadlines() async {
        while !(isStopping && state.withLock({ $0.inFlight }) == 0) {
            try? await Task.sleep(for: .milliseconds(250))
            let now = ContinuousClock.now
            let overdue = state.withLock { $0.attempts.values.filter { $0.deadline < now }.map(\.task) }
            for task in overdue { task.cancel() }
        }
    }

    /// Records finished attempts in batches (one transaction each, however many finished
    /// meanwhile), until stopping and nothing is left in flight or unrecorded.
    private func recordCompletions() async {
        var failures = 0
        while true {
            let (batch, done) = state.withLock { state -> ([WebhookMessages.Completion], Bool) in
                let batch = Array(state.completions.prefix(1_000))
                state.completions.removeFirst(batch.count)
                return (batch, state.stopping && state.inFlight == 0 && state.completions.isEmpty)
            }
            if batch.isEmpty {
                if done { return }
                await recordBell.wait(timeout: .seconds(1))
                continue
            }
            do {
                let promoted = try await record(batch)
                failures = 0
                if promoted > 0 { claimBell.ring() }
            } catch {
                failures += 1
                logger.warning("delivery: recording attempts failed", metadata: ["attempts": "\(batch.count)", "error": "\(error)"])
                // Stopping and the database gone: give up; the leases run out and the messages go again.
                if isStopping && failures >= 5 { return }
                state.withLock { $0.completions.insert(contentsOf: batch, at: 0) }
                await recordBell.wait(timeout: .milliseconds(min(5_000, 100 << min(failures, 6))))
            }
        }
    }

    /// Records `batch` in one transaction. If the database refuses what one of them holds (a data
    /// error, SQLSTATE 22 or 23), halves are recorded apart until that one is alone; it is then
    /// recorded without its error text and answer, or left to its lease. One odd answer must never
    /// keep every other attempt from being recorded.
    private func record(_ batch: [WebhookMessages.Completion]) async throws -> Int {
        do {
            return try await pool.withTransaction { [configuration] connection in
                try WebhookMessages.complete(batch, disableAfter: configuration.disableAfter, on: connection)
            }
        } catch let error as PostgresError where error.isDataError {
            guard batch.count > 1 else {
                var bare = batch[0]
                guard bare.error != nil || bare.responseBody != nil else {
                    logger.error("delivery: an attempt could not be recorded; its message goes out again after its lease",
                                 metadata: ["event": "\(bare.message.eventID)", "error": "\(error)"])
                    return 0
                }
                bare.error = bare.error.map { _ in "(not storable)" }
                bare.responseBody = nil
                return try await record([bare])
            }
            let middle = batch.count / 2
            return try await record(Array(batch[..<middle])) + record(Array(batch[middle...]))
        }
    }

    /// Every 30 s, queues that lost their head in a race get one (`WebhookMessages.repairQueues`).
    private func repairQueues() async {
        while !isStopping {
            await repairBell.wait(timeout: .seconds(30))
            guard !isStopping else { return }
            if let repaired = try? await pool.withConnection({ try WebhookMessages.repairQueues(on: $0) }), repaired > 0 {
                logger.notice("delivery: queues without a head repaired", metadata: ["queues": "\(repaired)"])
                claimBell.ring()
            }
        }
    }

    /// Until the next message falls due (by the database's clock), at most `pollInterval`.
    private func sleep(until next: PostgresTimestamp?, now: PostgresTimestamp) -> Duration {
        guard let next else { return configuration.pollInterval }
        let micros = max(1_000, next.microsecondsSinceEpoch - now.microsecondsSinceEpoch)
        return min(configuration.pollInterval, .microseconds(micros))
    }

    private func count(_ completion: WebhookMessages.Completion) {
        let outcome = switch completion.next {
        case .delivered: "delivered"
        case .retry: "retry"
        case .failed: "failed"
        case .gone: "gone"
        }
        let counter = attemptsByOutcome.withLock { counters in
            if let counter = counters[outcome] { return counter }
            let counter = Counter(label: "addon_delivery_attempts_total", dimensions: [("outcome", outcome)])
            counters[outcome] = counter
            return counter
        }
        counter.increment()
        duration.recordMilliseconds(completion.durationMs)
        if completion.next != .delivered {
            logger.debug("delivery attempt failed", metadata: [
                "event": "\(completion.message.eventID)", "endpoint": "\(completion.message.endpoint)",
                "status": "\(completion.statusCode.map(String.init) ?? "-")", "error": "\(completion.error ?? "-")",
            ])
        }
    }
}
