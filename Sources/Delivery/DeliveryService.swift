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

    private struct State {
        var stopping = false
        var inFlight = 0
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

    /// Claims while there is room, sends each message in a task of its own; returns once stopping
    /// and every attempt in flight has ended.
    private func claimAndSend() async {
        await withDiscardingTaskGroup { attempts in
            var failures = 0
            while !isStopping {
                let room = configuration.concurrency - state.withLock { $0.inFlight }
                guard room > 0 else {
                    await claimBell.wait(timeout: .seconds(1))
                    continue
                }
                do {
                    let claimed = try await pool.withConnection { [configuration] connection in
                        try WebhookMessages.claim(limit: min(room, configuration.claimBatch), lease: configuration.lease, on: connection)
                    }
                    failures = 0
                    guard !claimed.isEmpty else {
                        let (next, now) = try await pool.withConnection { try WebhookMessages.nextDue(on: $0) }
                        await claimBell.wait(timeout: sleep(until: next, now: now))
                        continue
                    }
                    state.withLock { $0.inFlight += claimed.count }
                    for message in claimed {
                        attempts.addTask {
                            let completion = await self.sender.attempt(message)
                            self.count(completion)
                            self.state.withLock {
                                $0.inFlight -= 1
                                $0.completions.append(completion)
                            }
                            self.recordBell.ring()
                            self.claimBell.ring()
                        }
                    }
                } catch {
                    failures += 1
                    logger.warning("delivery: claiming failed", metadata: ["error": "\(error)"])
                    await claimBell.wait(timeout: .milliseconds(min(5_000, 100 << min(failures, 6))))
                }
            }
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
                let promoted = try await pool.withTransaction { [configuration] connection in
                    try WebhookMessages.complete(batch, disableAfter: configuration.disableAfter, on: connection)
                }
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
