import Foundation
import Postgres
import Processes
import TestSupport
import Testing

/// Real `addon-lifecycle` processes on the embedded default (no DATABASE_URL), each in a
/// directory of its own: a failed service must end the process and what it started, and a process
/// that only joined the embedded cluster must leave it to the one that started it.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ProcessLifecycleTests {
    static func directory() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("process-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.path
    }

    /// Whether the embedded cluster under `directory` has a live server.
    static func clusterRuns(in directory: String) async -> Bool {
        let cluster = EmbeddedCluster(directory: URL(fileURLWithPath: directory).appendingPathComponent(".addon-lifecycle/postgres"),
                                      logger: TestDatabase.logger)
        return await cluster.runningPort() != nil
    }

    /// Waits for `process` to end, killing it past `limit` (a hung process fails the test, not the suite).
    static func exitStatus(of process: ChildProcess, within limit: Duration = .seconds(120)) async throws -> Int32? {
        let watchdog = Task {
            try await Task.sleep(for: limit)
            process.signal(SIGKILL)
        }
        let status = try await process.wait()
        watchdog.cancel()
        return status == 128 + SIGKILL ? nil : status
    }

    static func freePort() throws -> Int {
        let listener = try TCPListener()
        return listener.port
    }

    @Test func runOnATakenPortExitsNonZeroAndStopsItsCluster() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let taken = try TCPListener()
        let log = directory + "/run.log"
        let run = try await ChildProcess.start(ChildProcess.addonLifecycle, ["run"], environment: ["PORT": String(taken.port), "LOG_LEVEL": "error"],
                                               unsetting: ["DATABASE_URL", "WEBHOOK_SECRETS", "API_TOKEN"], workingDirectory: directory,
                                               output: .file(log))
        let status = try await Self.exitStatus(of: run)
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(status != nil, "the process hung and was killed: \(output)")
        #expect(status != 0)
        #expect(output.contains("port \(taken.port) is in use"), "\(output)")
        #expect(await Self.clusterRuns(in: directory) == false, "the embedded cluster it started is still running")
    }

    @Test(arguments: [["--batch-size", "0"], ["--batch-size", "many"]], [[:], ["WORKER_BATCH_SIZE": "1001"]])
    func aBadBatchSizeIsOneLineAndNonZero(arguments: [String], environment: [String: String]) async throws {
        let (status, output) = try await ChildProcess.output(ChildProcess.addonLifecycle, ["work"] + (environment.isEmpty ? arguments : []),
                                                             environment: environment)
        #expect(status != 0)
        #expect(output.contains("batch") || output.contains("BATCH"), "\(output)")
        #expect(!output.contains("Fatal error"), "\(output)")
    }

    /// Advisory locks come from PostgreSQL's shared lock table, whose exhaustion fails every
    /// session: a worker configuration that could take more than a quarter of it does not start.
    @Test func workersThatWouldFillTheLockTableDoNotStart() async throws {
        let configuration = try await TestDatabase.create("lock_budget")
        _ = try await ChildProcess.output(ChildProcess.addonLifecycle, ["migrate"], environment: ["DATABASE_URL": configuration.connectionString])
        let (status, output) = try await ChildProcess.output(
            ChildProcess.addonLifecycle, ["work", "--no-delivery"],
            environment: ["DATABASE_URL": configuration.connectionString, "WORKERS": "64", "WORKER_BATCH_SIZE": "1000", "LOG_LEVEL": "error"])
        #expect(status != 0)
        #expect(output.contains("lock table"), "\(output)")
    }

    @Test func aProcessThatJoinedTheClusterLeavesItRunning() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try Self.freePort()
        let run = try await ChildProcess.start(ChildProcess.addonLifecycle, ["run"], environment: ["PORT": String(port), "LOG_LEVEL": "error"],
                                               unsetting: ["DATABASE_URL", "WEBHOOK_SECRETS", "API_TOKEN"], workingDirectory: directory,
                                               output: .file(directory + "/run.log"))
        defer { run.signal(SIGKILL) }
        var healthy = false
        for _ in 0..<600 where !healthy {
            healthy = (try? await CommandResult.run("/usr/bin/curl", ["-fs", "http://127.0.0.1:\(port)/healthz"], environment: [:]).status) == 0
            if !healthy { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(healthy)
        let work = try await ChildProcess.start(ChildProcess.addonLifecycle, ["work"], environment: ["LOG_LEVEL": "error"],
                                                unsetting: ["DATABASE_URL"], workingDirectory: directory, output: .file(directory + "/work.log"))
        try await Task.sleep(for: .seconds(2))
        work.signal(SIGTERM)
        #expect(try await Self.exitStatus(of: work) == 0)
        #expect(await Self.clusterRuns(in: directory), "the joining process stopped the cluster")
        #expect((try? await CommandResult.run("/usr/bin/curl", ["-fs", "http://127.0.0.1:\(port)/readyz"], environment: [:]).status) == 0)
        run.signal(SIGTERM)
        #expect(try await Self.exitStatus(of: run) == 0)
        #expect(await Self.clusterRuns(in: directory) == false, "the starter left its cluster running")
        for name in ["webhook-secret", "api-token", "postgres/password"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/.addon-lifecycle/" + name)
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(name)")
        }
    }
}

/// A TCP port held open on 127.0.0.1 (and 0.0.0.0's view of it) for the test's duration.
final class TCPListener: @unchecked Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = INADDR_ANY
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 16) == 0 else {
            close(fd)
            throw CocoaError(.fileWriteUnknown)
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
