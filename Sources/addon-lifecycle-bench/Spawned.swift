import Foundation

/// A child process started with posix_spawn, stopped with a signal and reaped.
/// (Foundation's Process reaps children itself, which fights an explicit waitpid.)
final class Spawned: Sendable {
    let pid: pid_t

    /// `stdout`: a file for standard output (else inherited).
    init(_ executable: String, _ arguments: [String], environment: [String: String], stdout: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdout { posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600) }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        guard posix_spawn(&pid, executable, &actions, nil, argv, envp) == 0 else { throw LoadError("cannot start \(executable)") }
        self.pid = pid
    }

    func stop() { kill(SIGTERM) }

    /// Sends `signal` and reaps the process.
    func kill(_ signal: Int32) {
        Foundation.kill(pid, signal)
        _ = wait()
    }

    /// True once the process has ended on its own (it is reaped then).
    func hasExited() -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid
    }

    /// Waits for the process; its exit status (128 + signal when killed).
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Runs a command to its end, standard output to `stdout` (a path) if given; its exit status.
    static func runToEnd(_ executable: String, _ arguments: [String], environment: [String: String], stdout: String? = nil) throws -> Int32 {
        try Spawned(executable, arguments, environment: environment, stdout: stdout).wait()
    }
}
