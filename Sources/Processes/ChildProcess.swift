import Foundation
import Subprocess
import Synchronization
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// A child process, started with swift-subprocess: the one way this package runs another program
/// (the embedded cluster's tools, the benchmarks' servers and workers, the tests' CLI runs).
///
/// Standard streams go to files or /dev/null, never to pipes: a daemon the child leaves behind
/// (`pg_ctl start` forks the server) could hold a pipe open forever. swift-subprocess watches the
/// child through a pidfd, so it never reaps processes it did not start.
public final class ChildProcess: Sendable {
    /// Where a standard stream goes.
    public enum Stream: Sendable, Equatable {
        /// /dev/null (for input: an empty input).
        case null
        /// This process's own stream.
        case inherit
        /// A file: read for input; for output created (mode 0600) or truncated.
        case file(String)
    }

    public let pid: Int32
    private let finished: Task<Int32, any Error>
    private let ended: Ended

    /// Set once the child is reaped: from then on its pid may name another process.
    private final class Ended: Sendable {
        let flag = Mutex(false)
    }

    private init(pid: Int32, finished: Task<Int32, any Error>, ended: Ended) {
        self.pid = pid
        self.finished = finished
        self.ended = ended
    }

    /// Starts `executable` (a path) with the current environment plus `environment`, less the
    /// variables in `unsetting`. `error: nil` sends standard error where standard output goes.
    public static func start(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], unsetting: [String] = [],
        workingDirectory: String? = nil, input: Stream = .null, output: Stream = .null, error: Stream? = nil
    ) async throws -> ChildProcess {
        // Descriptors opened here are the child's to close once spawned; on failure before that,
        // ours. Inherited ones are never closed.
        var opened: [FileDescriptor] = []
        func owned(_ descriptor: FileDescriptor, _ stream: Stream?) -> FileDescriptor {
            if stream != .inherit { opened.append(descriptor) }
            return descriptor
        }
        let stdin: FileDescriptor, stdout: FileDescriptor, stderr: FileDescriptor
        do {
            stdin = owned(try open(input, inherited: .standardInput), input)
            stdout = owned(try open(output, inherited: .standardOutput), output)
            stderr = owned(try error.map { try open($0, inherited: .standardError) } ?? stdout.duplicate(), error)
        } catch {
            for descriptor in opened { try? descriptor.close() }
            throw error
        }
        var changes: [Environment.Key: String?] = [:]
        for name in unsetting { changes[Environment.Key(stringLiteral: name)] = .some(nil) }
        for (name, value) in environment { changes[Environment.Key(stringLiteral: name)] = value }
        let environment = Environment.inherit.updating(changes)
        let ended = Ended()
        let (started, reportStart) = AsyncStream.makeStream(of: Int32.self)
        let finished = Task { () throws -> Int32 in
            defer {
                ended.flag.withLock { $0 = true }
                reportStart.finish()
            }
            let result = try await Subprocess.run(
                .path(FilePath(executable)),
                arguments: Arguments(arguments),
                environment: environment,
                workingDirectory: workingDirectory.map { FilePath($0) },
                input: .fileDescriptor(stdin, closeAfterSpawningProcess: input != .inherit),
                output: .fileDescriptor(stdout, closeAfterSpawningProcess: output != .inherit),
                error: .fileDescriptor(stderr, closeAfterSpawningProcess: error != .inherit)  // nil: a duplicate of output, ours to close
            ) { execution in
                reportStart.yield(execution.processIdentifier.value)
                reportStart.finish()
            }
            switch result.terminationStatus {
            case .exited(let code): return Int32(code)
            case .signaled(let signal): return 128 + Int32(signal)
            }
        }
        var pids = started.makeAsyncIterator()
        guard let pid = await pids.next() else {
            _ = try await finished.value  // throws why it did not start
            throw ChildProcessError("\(executable) did not start")
        }
        return ChildProcess(pid: pid, finished: finished, ended: ended)
    }

    /// Runs `executable` to its end; its exit status (128 + signal when killed).
    @discardableResult
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        workingDirectory: String? = nil, input: Stream = .null, output: Stream = .null, error: Stream? = nil
    ) async throws -> Int32 {
        try await start(executable, arguments, environment: environment, workingDirectory: workingDirectory,
                        input: input, output: output, error: error).wait()
    }

    /// Runs `executable` to its end with standard output and error captured together.
    public static func output(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil
    ) async throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString).out").path
        defer { unlink(file) }
        let status = try await run(executable, arguments, environment: environment, workingDirectory: workingDirectory,
                                   output: .file(file))
        return (status, (try? String(contentsOfFile: file, encoding: .utf8)) ?? "")
    }

    /// Waits for the process to end; its exit status (128 + signal when killed).
    @discardableResult
    public func wait() async throws -> Int32 {
        try await finished.value
    }

    /// True once the process has ended (and been reaped).
    public var hasExited: Bool { ended.flag.withLock { $0 } }

    /// Sends `signal` unless the process has already ended (its pid may then belong to another).
    public func signal(_ signal: Int32) {
        ended.flag.withLock { ended in
            if !ended { _ = Foundation.kill(pid, signal) }
        }
    }

    /// Sends `signal` and waits for the process to end; its exit status.
    @discardableResult
    public func stop(_ signal: Int32 = SIGTERM) async throws -> Int32 {
        self.signal(signal)
        return try await wait()
    }

    /// `inherited`: the descriptor `.inherit` means; standard input is opened for reading.
    private static func open(_ stream: Stream, inherited: FileDescriptor) throws -> FileDescriptor {
        let forWriting = inherited != .standardInput
        switch stream {
        case .null:
            return try FileDescriptor.open("/dev/null", forWriting ? .writeOnly : .readOnly)
        case .inherit:
            return inherited
        case .file(let path):
            guard forWriting else { return try FileDescriptor.open(FilePath(path), .readOnly) }
            return try FileDescriptor.open(FilePath(path), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite])
        }
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
