import Foundation

/// A serial executor backed by one dedicated OS thread.
///
/// libpq calls block (connect, query, commit). Running them on Swift's cooperative pool would stall
/// unrelated tasks on a 2-core machine, so each connection actor runs on its own thread instead:
/// the actor's methods call libpq directly and callers simply `await` them.
final class ThreadExecutor: SerialExecutor, @unchecked Sendable {
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopping = false
    private var thread: Thread?

    init(name: String) {
        let thread = Thread { [self] in self.loop() }
        thread.name = name
        // libpq needs little stack; 512 KiB keeps many connections cheap.
        thread.stackSize = 512 * 1024
        self.thread = thread
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Lets the thread finish once the queued jobs have run. Called when the owning actor is
    /// deinitialized, so nothing can enqueue afterwards.
    func shutdown() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        var batch: [UnownedJob] = []
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping {
                thread = nil  // breaks the thread <-> executor cycle
                condition.unlock()
                return
            }
            swap(&batch, &jobs)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedSerialExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
