import CLibPQ
import Foundation
import Processes
import Logging

/// A private PostgreSQL cluster in a directory of ours (the embedded default when no DATABASE_URL
/// is given), made with Debian's `initdb`/`pg_ctl`.
///
/// PostgreSQL refuses to run as root, so when we are root the server runs as the `postgres` user
/// via `runuser`. It listens on 127.0.0.1 only and on a Unix socket in a directory only its owner
/// can enter; local socket connections are trusted, TCP ones need the generated password.
public struct EmbeddedCluster: Sendable {
    public let directory: URL
    public let database: String
    private let logger: Logger

    public init(directory: URL, database: String = "addon_lifecycle", logger: Logger) {
        self.directory = directory.standardizedFileURL
        self.database = database
        self.logger = logger
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// What `start()` reports: how to connect, and whether this call started the server (and so
    /// must stop it) or found it already running for another process of ours.
    public struct Running: Sendable {
        public var connectionString: String
        public var startedHere: Bool
    }

    var dataDirectory: URL { directory.appendingPathComponent("data") }
    /// Unix socket paths are limited to 107 bytes; a deep checkout falls back to a short /tmp path.
    var socketDirectory: URL {
        let local = directory.appendingPathComponent("run")
        guard local.path.utf8.count > 80 else { return local }
        var hash: UInt64 = 14_695_981_039_346_656_037  // FNV-1a: stable across runs, unlike hashValue
        for byte in directory.path.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        return URL(fileURLWithPath: "/tmp/addon-lifecycle-\(String(hash, radix: 36))")
    }
    /// Inside the data directory: the server (running as postgres) must be able to write it.
    var logFile: URL { dataDirectory.appendingPathComponent("server.log") }
    var passwordFile: URL { directory.appendingPathComponent("password") }
    var portFile: URL { directory.appendingPathComponent("port") }

    /// Creates the cluster on first use, starts it unless it already runs, and creates the database.
    public func start() async throws -> Running {
        let tools = try PostgresTools.locate()
        let owner = ProcessInfo.processInfo.isRoot ? "postgres" : nil
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Processes starting together take turns: one creates and starts, the others join.
        let lock = try await ClusterLock.acquire(directory.appendingPathComponent("lock").path)
        defer { lock.release() }
        if !FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) {
            try await initialize(tools: tools, owner: owner)
        }
        let port: Int
        let startedHere: Bool
        if let running = await runningPort() {
            port = running
            startedHere = false
            logger.info("embedded PostgreSQL already running", metadata: ["port": "\(port)"])
        } else {
            port = try stablePort()
            try await prepareSocketDirectory(owner: owner)
            try await run(tools.pgCtl, [
                "-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "60",
                // pg_ctl hands -o to a shell: the path is single-quoted for it.
                "-o", "-c listen_addresses=127.0.0.1 -p \(port) -k \(Self.shellQuoted(socketDirectory.path)) -c unix_socket_permissions=0700",
                "start",
            ], as: owner)
            startedHere = true
            logger.info("embedded PostgreSQL started", metadata: ["port": "\(port)", "directory": "\(directory.path)"])
        }
        try await createDatabase(PostgresConfiguration(connectionString(port: port, database: "postgres")))
        return Running(connectionString: connectionString(port: port, database: database), startedHere: startedHere)
    }

    /// A conninfo string over the private socket; values quoted as libpq requires.
    func connectionString(port: Int, database: String) -> String {
        "host=\(Self.conninfoQuoted(socketDirectory.path)) port=\(port) user=postgres dbname=\(Self.conninfoQuoted(database))"
    }

    private func createDatabase(_ admin: PostgresConfiguration) async throws {
        let connection = try await PostgresConnection.connect(admin)
        let database = self.database
        try await connection.run { connection in
            let exists = try connection.query("SELECT 1 FROM pg_database WHERE datname = $1", [database])
            guard exists.isEmpty else { return }
            do {
                // CREATE DATABASE takes no parameters; the name is ours and quoted as an identifier.
                try connection.simpleQuery("CREATE DATABASE " + PostgresIdentifier.quote(database))
            } catch let error as PostgresError where error.sqlState == "42P04" {
                // Created meanwhile by another process: what we wanted.
            }
        }
        await connection.close()
    }

    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func conninfoQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// Stops the server (fast shutdown: active sessions are disconnected, nothing committed is lost).
    public func stop() async throws {
        guard await runningPort() != nil else { return }
        let tools = try PostgresTools.locate()
        try await run(tools.pgCtl, ["-D", dataDirectory.path, "-m", "fast", "-w", "-t", "60", "stop"],
                as: ProcessInfo.processInfo.isRoot ? "postgres" : nil)
        logger.info("embedded PostgreSQL stopped")
    }

    /// The port of a live server on this data directory: the one `postmaster.pid` names, if a
    /// server actually answers there (a stale pid file after a crash may name a reused pid).
    public func runningPort() async -> Int? {
        let pidFile = dataDirectory.appendingPathComponent("postmaster.pid")
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > 3, let port = Int(lines[3]) else { return nil }
        let conninfo = connectionString(port: port, database: "postgres") + " connect_timeout=3"
        let answers = (try? await onDedicatedThread("postgres-ping") { PQping(conninfo) == PQPING_OK }) ?? false
        return answers ? port : nil
    }

    /// The socket directory may live in /tmp, so it is (re)made on every start, private to the server.
    private func prepareSocketDirectory(owner: String?) async throws {
        // In /tmp the name is predictable: never follow a symlink someone planted there.
        var info = stat()
        if lstat(socketDirectory.path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFDIR {
            throw Failure(description: "\(socketDirectory.path) exists and is not a directory; remove it")
        }
        try FileManager.default.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: socketDirectory.path)
        if let owner { try await run("/bin/chown", [owner, socketDirectory.path], as: nil) }
    }

    private func initialize(tools: PostgresTools, owner: String?) async throws {
        logger.info("creating embedded PostgreSQL cluster", metadata: ["directory": "\(directory.path)"])
        let password = Self.randomPassword()
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        unlink(passwordFile.path)  // left by an initialization that failed half-way
        do {
            try SecretFile.create(passwordFile.path, contents: password)
        } catch {
            throw Failure(description: "\(error)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: dataDirectory.path)
        if let owner {
            do {
                try await run("/usr/bin/test", ["-x", directory.path], as: owner)
            } catch {
                throw Failure(description: "the \(owner) user cannot enter \(directory.path) (a parent directory is private); "
                    + "put the checkout somewhere others can traverse, or set DATABASE_URL")
            }
            try await run("/bin/chown", ["-R", owner, dataDirectory.path, passwordFile.path], as: nil)
        }
        try await run(tools.initdb, [
            "-D", dataDirectory.path, "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8",
            "--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile=\(passwordFile.path)",
        ], as: owner)
    }

    /// Runs a tool to completion, as `user` via runuser when given; throws its output on failure.
    private func run(_ executable: String, _ arguments: [String], as user: String?) async throws {
        // Working directory `/`: the tool (and the server it forks) must not start in ours, which
        // the postgres user may not be allowed to enter.
        let outcome = if let user {
            try await ChildProcess.output("/usr/sbin/runuser", ["-u", user, "--", executable] + arguments, workingDirectory: "/")
        } else {
            try await ChildProcess.output(executable, arguments, workingDirectory: "/")
        }
        guard outcome.status == 0 else {
            var message = "\(URL(fileURLWithPath: executable).lastPathComponent) failed: \(outcome.output.oneLine)"
            if FileManager.default.fileExists(atPath: logFile.path) { message += " (see \(logFile.path))" }
            throw Failure(description: message)
        }
    }

    /// The port used last time if it is still free, so connection strings survive a restart;
    /// else a new free one, remembered for next time.
    private func stablePort() throws -> Int {
        if let text = try? String(contentsOf: portFile, encoding: .utf8), let port = Int(text), Self.isFree(port: port) {
            return port
        }
        let port = try Self.freeLoopbackPort()
        try Data(String(port).utf8).write(to: portFile)
        return port
    }

    static func isFree(port: Int) -> Bool {
        (try? bindLoopback(port: port)) != nil
    }

    /// A port free on 127.0.0.1 right now (the kernel's pick), for a server about to be started.
    public static func freeLoopbackPort() throws -> Int {
        try bindLoopback(port: 0)
    }

    /// Binds a TCP socket on 127.0.0.1 (port 0: any) and returns the port it got.
    private static func bindLoopback(port: Int) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "cannot open a socket to find a free port") }
        defer { close(fd) }
        // As PostgreSQL does: connections in TIME_WAIT from a previous run must not make the port look taken.
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "cannot find a free port on 127.0.0.1") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func randomPassword() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<32).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}

/// Where Debian keeps the server binaries (`/usr/lib/postgresql/N/bin`, newest N), else PATH.
struct PostgresTools: Sendable {
    var initdb: String
    var pgCtl: String

    static func locate() throws -> PostgresTools {
        let fileManager = FileManager.default
        var candidates: [String] = []
        if let versions = try? fileManager.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            candidates += versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" }
        }
        candidates += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in candidates where fileManager.isExecutableFile(atPath: directory + "/initdb") {
            return PostgresTools(initdb: directory + "/initdb", pgCtl: directory + "/pg_ctl")
        }
        throw EmbeddedCluster.Failure(description:
            "PostgreSQL server binaries (initdb, pg_ctl) not found: install them with `apt-get install -y postgresql`, or set DATABASE_URL")
    }
}

extension ProcessInfo {
    var isRoot: Bool { geteuid() == 0 }
}

/// An exclusive `flock` on a file in the cluster directory, held while starting.
struct ClusterLock: Sendable {
    let fd: Int32

    static func acquire(_ path: String) async throws -> ClusterLock {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw EmbeddedCluster.Failure(description: "cannot open \(path)") }
        // Blocks while another process starts the cluster: wait on a thread of our own.
        try await onDedicatedThread("cluster-lock") {
            guard flock(fd, LOCK_EX) == 0 else { throw EmbeddedCluster.Failure(description: "cannot lock \(path)") }
        }
        return ClusterLock(fd: fd)
    }

    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
