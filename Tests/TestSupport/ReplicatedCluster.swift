import Foundation
import Postgres
import Processes

/// A primary and a synchronous streaming standby of their own (the binaries of the test server,
/// `TEST_PG_BIN`), for failover tests: kill the primary, promote the standby. Both listen on
/// 127.0.0.1 (password, SCRAM) and on sockets in a private directory (trusted).
public final class ReplicatedCluster: Sendable {
    public let directory: String
    public let primaryPort: Int
    public let standbyPort: Int
    public static let password = "s3cret-failover-pw"
    private let bin: String

    /// The libpq multi-host URL a service is given: the primary first, read-write sessions only.
    public var multiHostURL: String {
        let socket = directory.replacingOccurrences(of: "/", with: "%2F")
        return "postgresql://postgres@\(socket):\(primaryPort),\(socket):\(standbyPort)/postgres?target_session_attrs=read-write"
    }

    /// One server over TCP with the password in the URL (for errors that must never show it).
    public func tcpURL(port: Int, readWrite: Bool) -> String {
        "postgresql://postgres:\(Self.password)@127.0.0.1:\(port)/postgres" + (readWrite ? "?target_session_attrs=read-write" : "")
    }

    /// Runs `body` with a fresh pair, and stops and deletes both servers afterwards, also on failure.
    public static func with<T>(_ body: (ReplicatedCluster) async throws -> T) async throws -> T {
        let cluster = try await start()
        do {
            let value = try await body(cluster)
            await cluster.stop()
            return value
        } catch {
            await cluster.stop()
            throw error
        }
    }

    public static func start() async throws -> ReplicatedCluster {
        guard let bin = ProcessInfo.processInfo.environment["TEST_PG_BIN"] else {
            throw ChildProcessError("TEST_PG_BIN is not set (run the tests through .ci/with-postgres)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("replicated-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let cluster = ReplicatedCluster(directory: directory, primaryPort: try EmbeddedCluster.freeLoopbackPort(), standbyPort: try EmbeddedCluster.freeLoopbackPort(), bin: bin)
        try await cluster.setUp()
        return cluster
    }

    private init(directory: String, primaryPort: Int, standbyPort: Int, bin: String) {
        self.directory = directory
        self.primaryPort = primaryPort
        self.standbyPort = standbyPort
        self.bin = bin
    }

    private func run(_ tool: String, _ arguments: [String]) async throws {
        let log = directory + "/\(tool).log"
        let status = getuid() == 0
            ? try await ChildProcess.run("/usr/sbin/runuser", ["-u", "postgres", "--", "\(bin)/\(tool)"] + arguments, output: .file(log))
            : try await ChildProcess.run("\(bin)/\(tool)", arguments, output: .file(log))
        guard status == 0 else {
            throw ChildProcessError("\(tool) failed (\(status)): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
    }

    private func setUp() async throws {
        if getuid() == 0 { _ = try await ChildProcess.run("/bin/chown", ["postgres", directory]) }
        let passwordFile = directory + "/password"
        try Self.password.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        if getuid() == 0 { _ = try await ChildProcess.run("/bin/chown", ["postgres", passwordFile]) }
        try await run("initdb", ["-D", directory + "/primary", "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
                                 "--pwfile=\(passwordFile)", "-E", "UTF8", "--locale=C.UTF-8"])
        try await run("pg_ctl", ["-D", directory + "/primary", "-l", directory + "/primary.log", "-w", "-t", "60", "-o",
                                 "-c listen_addresses=127.0.0.1 -p \(primaryPort) -k \(directory) -c synchronous_standby_names=standby1",
                                 "start"])
        try await run("pg_basebackup", ["-h", directory, "-p", String(primaryPort), "-U", "postgres", "-D", directory + "/standby",
                                        "-X", "stream", "-c", "fast", "-R", "-d",
                                        "host=\(directory) port=\(primaryPort) user=postgres application_name=standby1"])
        try await run("pg_ctl", ["-D", directory + "/standby", "-l", directory + "/standby.log", "-w", "-t", "60", "-o",
                                 "-c listen_addresses=127.0.0.1 -p \(standbyPort) -k \(directory)", "start"])
        // Until the primary sees its synchronous standby (else its first commits would wait).
        let primary = PostgresConfiguration("host=\(directory) port=\(primaryPort) user=postgres dbname=postgres")
        for _ in 0..<200 {
            let connection = try await PostgresConnection.connect(primary)
            let state = try await connection.run { connection in
                try connection.query("SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'").first?
                    .decode(String.self, column: 0)
            }
            await connection.close()
            if state == "sync" { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ChildProcessError("the standby did not become synchronous")
    }

    /// The primary's machine dies: no checkpoint, every connection cut.
    public func killPrimary() async throws {
        try await run("pg_ctl", ["-D", directory + "/primary", "-m", "immediate", "-w", "stop"])
    }

    /// The standby goes away (the primary keeps running, waiting for it at every commit).
    public func stopStandby() async throws {
        try await run("pg_ctl", ["-D", directory + "/standby", "-m", "fast", "-w", "stop"])
    }

    public func promoteStandby() async throws {
        try await run("pg_ctl", ["-D", directory + "/standby", "-w", "promote"])
    }

    public func stop() async {
        for data in ["primary", "standby"] where FileManager.default.fileExists(atPath: "\(directory)/\(data)/postmaster.pid") {
            try? await run("pg_ctl", ["-D", "\(directory)/\(data)", "-m", "immediate", "-w", "stop"])
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
