import Foundation

/// Runs blocking work (waiting for a child process, a file lock, a libpq ping) on a thread of its
/// own, so Swift's cooperative pool never blocks.
func onDedicatedThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = name
        thread.start()
    }
}
