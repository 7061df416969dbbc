import Foundation

/// Runs a tool to completion with `posix_spawn` + `waitpid` on a thread of its own.
///
/// Not Foundation's `Process`: its `waitUntilExit` was seen to hang after `pg_ctl start` (the
/// server it forks outlives it), and waiting would block Swift's cooperative pool.
enum Subprocess {
    struct Outcome: Sendable {
        var status: Int32
        var output: String
    }

    static func run(_ executable: String, _ arguments: [String]) async throws -> Outcome {
        try await onDedicatedThread("subprocess") { try runBlocking(executable, arguments) }
    }

    /// Output goes to a temporary file, not a pipe: a daemon the tool leaves behind could hold a
    /// pipe open forever.
    private static func runBlocking(_ executable: String, _ arguments: [String]) throws -> Outcome {
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("addon-lifecycle-\(UUID().uuidString).out").path
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // `env -C /`: the tool (and a server it forks) starts in a directory every user can enter,
        // not ours, which the postgres user may not be allowed to see.
        let argv = (["/usr/bin/env", "-C", "/", executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw EmbeddedCluster.Failure(description: "cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        var waited = waitpid(pid, &status, 0)
        while waited < 0 && errno == EINTR { waited = waitpid(pid, &status, 0) }
        guard waited == pid else {
            throw EmbeddedCluster.Failure(description: "cannot wait for \(executable): \(String(cString: strerror(errno)))")
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED/WEXITSTATUS are macros Swift cannot import.
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Outcome(status: exitCode, output: output)
    }
}
