import Logging
import Postgres
import Store
import Synchronization

/// What storing one webhook came to.
public enum StoreOutcome: Sendable, Equatable {
    /// Newly committed.
    case stored
    /// The id was already in the inbox (or earlier in the same batch): nothing changed.
    case duplicate
}

/// Group commit: concurrent requests share one multi-row INSERT and one durable COMMIT.
///
/// Requests queue their record; up to `maxConcurrentFlushes` flushers each take everything queued
/// (up to `maxBatchSize`) and commit it as one transaction. While a flush is in flight, new requests
/// gather for the next one, so a lone request commits at once and a busy server commits in large
/// batches. The wait is bounded by one commit, never by a timer. Nobody is answered before COMMIT.
public final class GroupCommitter: Sendable {
    private let pool: PostgresPool
    private let logger: Logger
    let maxBatchSize: Int
    let maxConcurrentFlushes: Int

    private struct Pending {
        var record: InboxRecord
        var reply: Reply
        var enqueued: ContinuousClock.Instant
    }
    private struct State {
        var queue: [Pending] = []
        var flushing = 0
        /// Batches inside a database call, by flush number, with when they started.
        var inFlight: [Int: (started: ContinuousClock.Instant, replies: [Reply])] = [:]
        var nextFlush = 0
        var sweeping = false
    }
    private let state = Mutex(State())
    /// How long a request waits for its commit before it is answered 503. The row may still commit
    /// later, which a retry then sees as a duplicate: nothing is lost or doubled either way.
    let deadline: Duration

    public init(pool: PostgresPool, maxBatchSize: Int = 1_000, maxConcurrentFlushes: Int = 2, deadline: Duration = .seconds(9), logger: Logger) {
        self.pool = pool
        self.maxBatchSize = maxBatchSize
        self.maxConcurrentFlushes = maxConcurrentFlushes
        self.deadline = deadline
        self.logger = logger
    }

    /// Stores `record` durably, or throws the database error (the caller answers 503).
    public func store(_ record: InboxRecord) async throws -> StoreOutcome {
        let reply = Reply()
        return try await withCheckedThrowingContinuation { continuation in
            reply.attach(continuation)
            let (startFlusher, startSweeper) = state.withLock { state in
                state.queue.append(Pending(record: record, reply: reply, enqueued: .now))
                let sweeper = !state.sweeping
                state.sweeping = true
                guard state.flushing < maxConcurrentFlushes else { return (false, sweeper) }
                state.flushing += 1
                return (true, sweeper)
            }
            if startFlusher { Task { await flushUntilEmpty() } }
            if startSweeper { Task { await sweepWhileBusy() } }
        }
    }

    /// Answers 503 to requests whose commit is overdue (a hung database), once a second, for as
    /// long as anything is queued or in flight. One task per busy period, not a timer per request.
    private func sweepWhileBusy() async {
        while true {
            try? await Task.sleep(for: .seconds(1))
            let cutoff = ContinuousClock.now - deadline
            let (expired, done) = state.withLock { state -> ([Reply], Bool) in
                var expired = state.queue.filter { $0.enqueued < cutoff }.map(\.reply)
                state.queue.removeAll { $0.enqueued < cutoff }
                for (flush, batch) in state.inFlight where batch.started < cutoff {
                    expired += batch.replies
                    state.inFlight[flush] = nil
                }
                let idle = state.queue.isEmpty && state.inFlight.isEmpty
                if idle { state.sweeping = false }
                return (expired, idle)
            }
            let failure = PostgresError(.unavailable, message: "the database did not commit within \(deadline)")
            for reply in expired { reply.complete(.failure(failure)) }
            if done { return }
        }
    }

    private func flushUntilEmpty() async {
        while let (number, batch) = takeBatch() {
            await flush(batch)
            _ = state.withLock { $0.inFlight.removeValue(forKey: number) }
        }
    }

    private func takeBatch() -> (number: Int, batch: [Pending])? {
        state.withLock { state in
            guard !state.queue.isEmpty else {
                state.flushing -= 1
                return nil
            }
            let count = min(state.queue.count, maxBatchSize)
            let batch = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            let number = state.nextFlush
            state.nextFlush += 1
            state.inFlight[number] = (.now, batch.map(\.reply))
            return (number, batch)
        }
    }

    private func flush(_ batch: [Pending]) async {
        let records = batch.map(\.record)
        do {
            // One statement: its own transaction and durable commit.
            let newIDs = try await pool.withConnection { connection in
                try EventInbox.insert(records, on: connection)
            }
            answer(batch, newIDs: newIDs)
        } catch let error as PostgresError where error.isTransient || error.kind == .queryCanceled {
            logger.warning("ingest batch not stored", metadata: ["events": "\(batch.count)", "error": "\(error)"])
            for pending in batch { pending.reply.complete(.failure(error)) }
        } catch {
            // Not the database being away: some row was refused. Store one by one so the others
            // still land and only the offender gets the error.
            logger.error("ingest batch refused; retrying its events one by one", metadata: ["events": "\(batch.count)", "error": "\(error)"])
            for pending in batch {
                do {
                    let record = pending.record
                    let newIDs = try await pool.withConnection { connection in try EventInbox.insert([record], on: connection) }
                    answer([pending], newIDs: newIDs)
                } catch {
                    pending.reply.complete(.failure(error))
                }
            }
        }
    }

    /// The first request carrying a new id stored it; every other one is a duplicate.
    private func answer(_ batch: [Pending], newIDs: Set<String>) {
        var claimed = Set<String>()
        for pending in batch {
            let id = pending.record.id
            let isNew = newIDs.contains(id) && claimed.insert(id).inserted
            pending.reply.complete(.success(isNew ? .stored : .duplicate))
        }
    }
}

/// A one-shot answer that either the flusher or the deadline timer delivers, whichever is first.
final class Reply: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<StoreOutcome, any Error>?, result: Result<StoreOutcome, any Error>?, done: Bool)>((nil, nil, false))

    func attach(_ continuation: CheckedContinuation<StoreOutcome, any Error>) {
        let early = state.withLock { state -> Result<StoreOutcome, any Error>? in
            if let result = state.result { state.done = true; return result }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func complete(_ result: Result<StoreOutcome, any Error>) {
        let continuation = state.withLock { state -> CheckedContinuation<StoreOutcome, any Error>? in
            guard !state.done, state.result == nil else { return nil }
            if let continuation = state.continuation {
                state.done = true
                state.continuation = nil
                return continuation
            }
            state.result = result
            return nil
        }
        continuation?.resume(with: result)
    }
}
