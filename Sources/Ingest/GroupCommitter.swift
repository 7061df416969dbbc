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
    /// Not stored: a `subscriptionAddon.created` naming an add-on that belongs to this subscription.
    case addonOwnedElsewhere(owner: String)
}

/// Group commit: concurrent requests share one multi-row INSERT and one durable COMMIT.
///
/// Requests queue their record; up to `maxConcurrentFlushes` flushers each take what is queued
/// (up to `maxBatchSize` records or `maxBatchBytes`) and store it with one statement. While a flush
/// is in flight, new requests gather for the next one, so a lone request commits at once and a busy
/// server commits in large batches: the wait is bounded by one commit, never by a timer. Nobody is
/// answered before COMMIT.
public final class GroupCommitter: Sendable {
    private let pool: PostgresPool
    private let logger: Logger
    let maxBatchSize: Int
    let maxBatchBytes: Int
    /// Beyond this much queued body data, requests are answered 503 at once instead of queueing:
    /// memory stays bounded when the database is slower than the senders.
    let maxQueuedBytes: Int
    let maxConcurrentFlushes: Int
    /// How long a request may wait for its commit, from arrival, before it is answered 503. The row
    /// may still commit later, which a retry then sees as a duplicate: nothing is lost or doubled.
    let deadline: Duration
    private let notifier: WorkNotifier

    private struct Pending {
        var record: InboxRecord
        var reply: Reply
        var enqueued: ContinuousClock.Instant
    }
    private struct State {
        var queue: [Pending] = []
        var queuedBytes = 0
        var flushing = 0
        /// Requests inside a database call, by flush number.
        var inFlight: [Int: [Pending]] = [:]
        var nextFlush = 0
        var sweeping = false
    }
    private let state = Mutex(State())

    public init(pool: PostgresPool, maxBatchSize: Int = 1_000, maxBatchBytes: Int = 8 << 20, maxQueuedBytes: Int = 64 << 20,
                maxConcurrentFlushes: Int = 2, deadline: Duration = .seconds(8), logger: Logger) {
        self.pool = pool
        self.maxBatchSize = maxBatchSize
        self.maxBatchBytes = maxBatchBytes
        self.maxQueuedBytes = maxQueuedBytes
        self.maxConcurrentFlushes = maxConcurrentFlushes
        self.deadline = deadline
        self.logger = logger
        self.notifier = WorkNotifier(pool: pool, logger: logger)
    }

    /// Stores `record` durably, or throws: a `PostgresError` from the database (a data error when
    /// the row itself was refused), or `.unavailable` when the queue is full or the deadline passed.
    public func store(_ record: InboxRecord) async throws -> StoreOutcome {
        let reply = Reply()
        return try await withCheckedThrowingContinuation { continuation in
            reply.attach(continuation)
            let size = record.body.utf8.count
            let (accepted, startFlusher, startSweeper) = state.withLock { state -> (Bool, Bool, Bool) in
                guard state.queuedBytes + size <= maxQueuedBytes else { return (false, false, false) }
                state.queue.append(Pending(record: record, reply: reply, enqueued: .now))
                state.queuedBytes += size
                let sweeper = !state.sweeping
                state.sweeping = true
                guard state.flushing < maxConcurrentFlushes else { return (true, false, sweeper) }
                state.flushing += 1
                return (true, true, sweeper)
            }
            if !accepted {
                reply.complete(.failure(PostgresError(.unavailable, message: "ingest queue is full")))
                return
            }
            if startFlusher { Task { await flushUntilEmpty() } }
            if startSweeper { Task { await sweepWhileBusy() } }
        }
    }

    /// Whether the inbox holds an event with this id; nil when the database cannot say within 2 s
    /// (the request is then refused for its body, and every answer stays within 10 s).
    public func isStored(id: String) async -> Bool? {
        let pool = self.pool
        return await withTaskGroup(of: Bool?.self) { group in
            group.addTask { try? await pool.withConnection { connection in try EventInbox.contains(id: id, on: connection) } }
            group.addTask {
                try? await Task.sleep(for: .seconds(2))
                return nil
            }
            defer { group.cancelAll() }
            return await group.next() ?? nil
        }
    }

    /// Answers 503 to requests whose commit is overdue (a hung database), four times a second, for
    /// as long as anything is queued or in flight: one task per busy period, not a timer per request.
    private func sweepWhileBusy() async {
        while true {
            try? await Task.sleep(for: .milliseconds(250))
            let cutoff = ContinuousClock.now - deadline
            let (expired, done) = state.withLock { state -> ([Reply], Bool) in
                var expired: [Reply] = []
                state.queue.removeAll { pending in
                    guard pending.enqueued < cutoff else { return false }
                    expired.append(pending.reply)
                    state.queuedBytes -= pending.record.body.utf8.count
                    return true
                }
                for (_, batch) in state.inFlight {
                    expired += batch.filter { $0.enqueued < cutoff }.map(\.reply)
                }
                let idle = state.queue.isEmpty && state.inFlight.isEmpty
                if idle { state.sweeping = false }
                return (expired, idle)
            }
            let failure = PostgresError(.unavailable, message: "the database did not commit within \(deadline)")
            for reply in expired { reply.complete(.failure(failure)) }  // a no-op for those already answered
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
            var count = 0
            var bytes = 0
            while count < min(state.queue.count, maxBatchSize) {
                let size = state.queue[count].record.body.utf8.count
                if count > 0 && bytes + size > maxBatchBytes { break }
                bytes += size
                count += 1
            }
            let batch = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            state.queuedBytes -= bytes
            let number = state.nextFlush
            state.nextFlush += 1
            state.inFlight[number] = batch
            return (number, batch)
        }
    }

    private func flush(_ batch: [Pending]) async {
        let records = batch.map(\.record)
        do {
            // One statement: its own transaction and durable commit.
            let stored = try await pool.withConnection { connection in try EventInbox.insert(records, on: connection) }
            answer(batch, stored: stored)
        } catch let error as PostgresError where error.isDataError && batch.count > 1 {
            // Some row's values were refused. Store one by one so the others still land and only
            // the offender gets the error.
            logger.error("ingest batch refused; storing its events one by one", metadata: ["events": "\(batch.count)", "error": "\(error)"])
            for pending in batch {
                do {
                    let record = pending.record
                    let stored = try await pool.withConnection { connection in try EventInbox.insert([record], on: connection) }
                    answer([pending], stored: stored)
                } catch {
                    pending.reply.complete(.failure(error))
                }
            }
        } catch {
            logger.warning("ingest batch not stored", metadata: ["events": "\(batch.count)", "error": "\(error)"])
            for pending in batch { pending.reply.complete(.failure(error)) }
        }
    }

    /// The first request carrying a new id stored it; every other one is a duplicate.
    private func answer(_ batch: [Pending], stored: EventInbox.Stored) {
        if stored.scheduledWork { notifier.hint() }
        var claimed = Set<String>()
        for pending in batch {
            let id = pending.record.id
            if let owner = stored.refused[id] {
                pending.reply.complete(.success(.addonOwnedElsewhere(owner: owner)))
                continue
            }
            let isNew = stored.newIDs.contains(id) && claimed.insert(id).inserted
            pending.reply.complete(.success(isNew ? .stored : .duplicate))
        }
    }
}

/// A one-shot answer that either the flusher or the deadline sweeper delivers, whichever is first.
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
