import Foundation
import Processes

/// A command run to completion with its output captured (the CLI tests).
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// Runs `executable` with stdin from `input` (a path) or /dev/null and waits for it.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String], input: String? = nil) async throws -> CommandResult {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("stdout").path
        let err = directory.appendingPathComponent("stderr").path
        let exit = try await ChildProcess.run(executable, arguments, environment: environment,
                                              input: input.map { .file($0) } ?? .null, output: .file(out), error: .file(err))
        return CommandResult(status: exit, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}

extension ChildProcess {
    /// The built `addon-lifecycle` next to the test bundle.
    public static var addonLifecycle: String {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("addon-lifecycle").path) && directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("addon-lifecycle").path
    }
}
