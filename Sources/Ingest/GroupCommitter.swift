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
    }
    private struct State {
        var queue: [Pending] = []
        var flushing = 0
    }
    private let state = Mutex(State())

    public init(pool: PostgresPool, maxBatchSize: Int = 1_000, maxConcurrentFlushes: Int = 3, logger: Logger) {
        self.pool = pool
        self.maxBatchSize = maxBatchSize
        self.maxConcurrentFlushes = maxConcurrentFlushes
        self.logger = logger
    }

    /// Stores `record` durably, or throws the database error (the caller answers 503).
    /// Gives up waiting after `deadline`; the row may still commit later, which a retry then sees
    /// as a duplicate, so nothing is lost or doubled either way.
    public func store(_ record: InboxRecord, deadline: Duration = .seconds(9)) async throws -> StoreOutcome {
        let reply = Reply()
        let timer = Task {
            try await Task.sleep(for: deadline)
            reply.complete(.failure(PostgresError(.unavailable, message: "the database did not commit within \(deadline)")))
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            reply.attach(continuation)
            let startFlusher = state.withLock { state in
                state.queue.append(Pending(record: record, reply: reply))
                guard state.flushing < maxConcurrentFlushes else { return false }
                state.flushing += 1
                return true
            }
            if startFlusher { Task { await flushUntilEmpty() } }
        }
    }

    private func flushUntilEmpty() async {
        while let batch = takeBatch() {
            await flush(batch)
        }
    }

    private func takeBatch() -> [Pending]? {
        state.withLock { state in
            guard !state.queue.isEmpty else {
                state.flushing -= 1
                return nil
            }
            let count = min(state.queue.count, maxBatchSize)
            let batch = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            return batch
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
