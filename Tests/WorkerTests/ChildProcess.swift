import Foundation

/// A child process for tests that kill and restart workers: posix_spawn, SIGKILL/SIGTERM, waitpid.
/// (Foundation's Process reaps children itself, which fights an explicit waitpid.)
final class ChildProcess {
    let pid: pid_t

    /// Standard input from `input`, output to `stdout`; standard error to `stderr` (the same path
    /// as `stdout`: one file for both), else inherited.
    init(_ executable: String, _ arguments: [String], environment: [String: String],
         input: String = "/dev/null", stdout: String = "/dev/null", stderr: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if let stderr {
            if stderr == stdout {
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
            } else {
                posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            }
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else { throw CocoaError(.executableLoad) }
        self.pid = pid
    }

    /// Waits for the process to end; its exit status (128 + signal when killed).
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Sends `signal` and reaps the process.
    func stop(_ signal: Int32) {
        kill(pid, signal)
        _ = wait()
    }

    /// The built `addon-lifecycle` next to the test bundle.
    static var addonLifecycle: String {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("addon-lifecycle").path) && directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("addon-lifecycle").path
    }
}

/// A command run to completion with its output captured (the CLI tests).
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String

    /// Runs `executable` with stdin from `input` (a path) or /dev/null and waits for it.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String], input: String? = nil) throws -> CommandResult {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("stdout").path
        let err = directory.appendingPathComponent("stderr").path
        let exit = try ChildProcess(executable, arguments, environment: environment, input: input ?? "/dev/null", stdout: out, stderr: err).wait()
        return CommandResult(status: exit, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}
