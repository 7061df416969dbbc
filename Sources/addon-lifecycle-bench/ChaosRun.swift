import ArgumentParser
import StandardWebhooks
import EventFormat
import Foundation
import Ingest
import Logging
import Postgres
import Processes
import Store
import Synchronization

/// The reliability run of issue 8: signed events against `serve` and three `work` processes while
/// workers are SIGKILLed at random moments and PostgreSQL is restarted once; then every
/// acknowledged event is classified as a queue checker does (lost, duplicated effect, unexpected).
struct ChaosRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Kills workers and restarts PostgreSQL under load, then checks nothing was lost, doubled or wrong.",
        discussion: "Needs DATABASE_URL, TEST_PG_DATA and TEST_PG_BIN (as `.ci/chaos` sets them). Exits 1 if any count is not zero.")

    @Option(help: "Seconds of load.") var seconds: Double = 30
    @Option(help: "Concurrent sending connections.") var connections = 16
    @Option(help: "`work` processes.") var workers = 3
    @Option(help: "The addon-lifecycle binary.") var binary: String?
    @Flag(help: "Instead of restarting PostgreSQL, kill the primary (TEST_PG_DATA) and promote its standby (FAILOVER_STANDBY_DATA), as `.ci/failover` sets them up.")
    var failover = false
    @Flag(help: "With --failover: the standby replicates asynchronously, so acknowledged events may be lost; report them instead of failing.")
    var asynchronous = false
    @Option(help: "With --failover: pause the standby's WAL receiver this many seconds before the kill (a standby that fell behind).")
    var standbyLag: Double = 0

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["DATABASE_URL"], let data = environment["TEST_PG_DATA"], let bin = environment["TEST_PG_BIN"] else {
            throw ValidationError("set DATABASE_URL, TEST_PG_DATA and TEST_PG_BIN (use .ci/chaos)")
        }
        let executable = binary ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("addon-lifecycle").path
        let secret = WebhookSecret.generate()
        let port = UInt16.random(in: 20_000...60_000)
        // Delivery: every `work` process delivers too (and is killed like the others), to a flaky
        // receiver, with retries a second or two apart instead of minutes.
        let childEnvironment = ["DATABASE_URL": url, "LOG_LEVEL": "critical", "WEBHOOK_SECRETS": secret.encoded, "PORT": String(port),
                                "HOST": "127.0.0.1", "API_TOKEN": "chaos", "DELIVERY_ALLOW_PRIVATE": "true",
                                "DELIVERY_RETRY_SCHEDULE": "100ms,200ms,300ms,500ms,500ms,1s,1s,1s,2s,2s,2s,2s,2s,2s,2s"]
        guard try await ChildProcess.run(executable, ["migrate"], environment: childEnvironment, output: .inherit, error: .inherit) == 0 else {
            throw LoadError("migrate failed")
        }
        let receiverPort = UInt16.random(in: 20_000...60_000)
        let receiverLog = FileManager.default.temporaryDirectory.appendingPathComponent("chaos-receiver-\(UUID().uuidString).ndjson").path
        defer { try? FileManager.default.removeItem(atPath: receiverLog) }
        let receiver = try await ChildProcess.start("/usr/bin/env", ["python3", Self.flakyReceiver, String(receiverPort), receiverLog],
                                                    output: .inherit, error: .inherit)
        defer { receiver.signal(SIGKILL) }
        let logger = Logger(label: "chaos")
        let pool = PostgresPool(configuration: PostgresConfiguration(url), size: 2, logger: logger)
        _ = try await pool.withConnection { connection in
            try WebhookEndpoints.create(id: "we_chaos", project: "bench", url: "http://127.0.0.1:\(receiverPort)/hook", eventTypes: nil,
                                        description: "chaos receiver", secret: WebhookSecret.generate().encoded, on: connection)
        }
        let server = try await ChildProcess.start(executable, ["serve"], environment: childEnvironment, output: .inherit, error: .inherit)
        defer { server.signal(SIGTERM) }
        let spawnWorker = {
            try await ChildProcess.start(executable, ["work", "--workers", "2"], environment: childEnvironment, output: .inherit, error: .inherit)
        }
        var workerProcesses: [ChildProcess] = []
        for _ in 0..<workers { workerProcesses.append(try await spawnWorker()) }
        defer { workerProcesses.forEach { $0.signal(SIGTERM) } }
        try Self.waitForHealth(port: port)

        let load = Load(port: port, secret: secret, base: Int.random(in: 1...1_000_000) * 10_000)
        let started = ContinuousClock.now
        let deadline = started + .seconds(seconds)
        let senders = (0..<connections).map { _ in Thread { load.send(until: deadline) } }
        senders.forEach { $0.start() }

        // Kill a random worker every 1–4 s; restart PostgreSQL once, 40% into the run.
        var kills = 0
        var restart: (downtime: Double, at: ContinuousClock.Instant)?
        let standby = environment["FAILOVER_STANDBY_DATA"]
        if failover, standby == nil { throw ValidationError("--failover needs FAILOVER_STANDBY_DATA (use .ci/failover)") }
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(Int.random(in: 1_000...4_000)))
            let victim = Int.random(in: 0..<workerProcesses.count)
            try await workerProcesses[victim].stop(SIGKILL)
            workerProcesses[victim] = try await spawnWorker()
            kills += 1
            if restart == nil, ContinuousClock.now - started > .seconds(seconds * 0.4) {
                let begin = ContinuousClock.now
                if let standby, failover {
                    // The primary's machine dies: no shutdown checkpoint, connections cut. Then the
                    // standby is promoted, as Patroni or CloudNativePG would.
                    if standbyLag > 0 {
                        // The standby stops receiving (a slow link, a busy disk): what the primary
                        // commits meanwhile exists only there.
                        _ = try await ChildProcess.run("/usr/bin/pkill", ["-STOP", "-f", "postgres: walreceiver"])
                        try await Task.sleep(for: .milliseconds(Int(standbyLag * 1000)))
                    }
                    let killed = ContinuousClock.now
                    try await Self.pgCtl(bin, ["-D", data, "-m", "immediate", "-w", "stop"])
                    if standbyLag > 0 { _ = try await ChildProcess.run("/usr/bin/pkill", ["-CONT", "-f", "postgres: walreceiver"]) }
                    try await Self.pgCtl(bin, ["-D", standby, "-w", "promote"])
                    // Answers from here on were committed on the new primary (the old one's
                    // connections died with it); the recovery time counts from the kill.
                    load.markRestart()
                    restart = ((ContinuousClock.now - killed).seconds, killed)
                } else {
                    try await Self.pgCtl(bin, ["-D", data, "-m", "fast", "-w", "restart"])
                    restart = ((ContinuousClock.now - begin).seconds, ContinuousClock.now)
                    load.markRestart()
                }
            }
        }
        while senders.contains(where: { !$0.isFinished }) { try await Task.sleep(for: .milliseconds(50)) }
        // Recovery must not need restarts: every process we did not kill is still running.
        let exited = workerProcesses.filter(\.hasExited).count + (server.hasExited ? 1 : 0)

        let drainStart = ContinuousClock.now
        while true {
            let (pending, due) = try await pool.withConnection { connection in
                try connection.query("""
                    SELECT (SELECT count(*) FROM events WHERE status = 'pending'), (SELECT count(*) FROM work WHERE due_at <= now())
                           + (SELECT count(*) FROM work_signals)
                    """)[0].decode((Int, Int).self)
            }
            if pending == 0 && due == 0 { break }
            guard ContinuousClock.now - drainStart < .seconds(180) else { throw LoadError("not drained after 180 s: \(pending) pending events") }
            try await Task.sleep(for: .milliseconds(100))
        }
        let drain = (ContinuousClock.now - drainStart).seconds
        // Delivery drains too: every message delivered (or, after its retries, failed).
        let deliveryStart = ContinuousClock.now
        while try await pool.withConnection({ try $0.query("SELECT count(*) FROM webhook_messages WHERE status = 'pending'")[0].decode(Int.self, column: 0) }) > 0 {
            guard ContinuousClock.now - deliveryStart < .seconds(180) else { throw LoadError("delivery not drained after 180 s") }
            try await Task.sleep(for: .milliseconds(200))
        }
        let deliveryDrain = (ContinuousClock.now - deliveryStart).seconds
        let delivery = try await DeliveryCheck.classify(receiverLog: receiverLog, pool: pool)

        let acked = load.acknowledged()
        let lost = try await pool.withConnection { connection in
            var lost = 0
            for chunk in stride(from: 0, to: acked.count, by: 5_000).map({ Array(acked[$0..<min($0 + 5_000, acked.count)]) }) {
                lost += try connection.query("""
                    SELECT count(*) FROM unnest($1::text[]) AS a(id)
                    WHERE NOT EXISTS (SELECT FROM events e WHERE e.id = a.id AND e.status IN ('processed', 'ignored'))
                    """, [chunk])[0].decode(Int.self, column: 0)
            }
            return lost
        }
        let (duplicated, transitions, failed) = try await pool.withConnection { connection in
            try connection.query("""
                SELECT (SELECT count(*) FROM (SELECT FROM transitions GROUP BY project, subscription_addon, kind, correction HAVING count(*) > 1) d),
                       (SELECT count(*) FROM transitions), (SELECT count(*) FROM events WHERE status = 'failed')
                """)[0].decode((Int, Int, Int).self)
        }
        let unexpected = try await Self.replayCheck(executable: executable, environment: childEnvironment)

        let stats = load.stats()
        print(String(format: "chaos: %.0f s of load, %d connections, %d work processes", seconds, connections, workers))
        print("events acknowledged: \(acked.count) (202/200), answers 503: \(stats.unavailable), connection errors: \(stats.connectionErrors), other answers: \(stats.other)")
        print("workers killed with SIGKILL: \(kills)")
        if let restart {
            let recovery = stats.firstAckAfterRestart.map { String(format: "%.2f s", ($0 - restart.at).seconds) } ?? "none"
            if failover {
                print(String(format: "failover (%@ replication%@): primary killed (immediate) and standby promoted in %.2f s; first 202 after the kill: %@",
                             asynchronous ? "asynchronous" : "synchronous",
                             standbyLag > 0 ? String(format: ", the standby %.1f s behind", standbyLag) : "", restart.downtime, recovery))
            } else {
                print(String(format: "PostgreSQL restarted once (fast): %.2f s down; first 202 after it came back: %@", restart.downtime, recovery))
            }
        }
        print(String(format: "time to drain after the load: %.2f s; transitions recorded: %d; failed events: %d", drain, transitions, failed))
        print("processes that exited on their own: \(exited)")
        print("lost: \(lost)   duplicated effects: \(duplicated)   unexpected: \(unexpected)")
        print(String(format: "delivery: %d messages, %d requests to the flaky receiver (%d answered 2xx), drained %.2f s after the workers",
                     delivery.messages, delivery.requests, delivery.accepted, deliveryDrain))
        print("undelivered: \(delivery.undelivered)   out of order: \(delivery.outOfOrder)   wrong: \(delivery.wrong)   "
              + "(duplicated deliveries, allowed after a kill or an unanswered attempt: \(delivery.duplicated))")
        // Asynchronous replication may lose what the old primary acknowledged: measured, not failed.
        if asynchronous { return }
        if lost != 0 || duplicated != 0 || unexpected != 0 || failed != 0 || stats.other != 0 || exited != 0 { throw ExitCode(1) }
        if delivery.undelivered != 0 || delivery.outOfOrder != 0 || delivery.wrong != 0 { throw ExitCode(1) }
    }

    /// `pg_ctl ARGS`, as the postgres user when we are root (PostgreSQL refuses root).
    static func pgCtl(_ bin: String, _ arguments: [String]) async throws {
        let status = getuid() == 0
            ? try await ChildProcess.run("/usr/sbin/runuser", ["-u", "postgres", "--", "\(bin)/pg_ctl"] + arguments, error: .inherit)
            : try await ChildProcess.run("\(bin)/pg_ctl", arguments, error: .inherit)
        guard status == 0 else { throw LoadError("pg_ctl \(arguments.joined(separator: " ")) failed (\(status))") }
    }

    /// `export | replay --check`: the number of differences (0 when the state equals the replay).
    static func replayCheck(executable: String, environment: [String: String]) async throws -> Int {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("chaos-\(UUID().uuidString).ndjson").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        guard try await ChildProcess.run(executable, ["export"], environment: environment, output: .file(log), error: .inherit) == 0 else {
            throw LoadError("export failed")
        }
        let report = log + ".check"
        defer { try? FileManager.default.removeItem(atPath: report) }
        let status = try await ChildProcess.run(executable, ["replay", log, "--check"], environment: environment, output: .file(report), error: .inherit)
        let differences = ((try? String(contentsOfFile: report, encoding: .utf8)) ?? "").split(separator: "\n").count
        guard status == 0 || status == 1 else { throw LoadError("replay --check failed (\(status))") }
        return status == 0 ? 0 : max(differences, 1)
    }

    /// `.ci/flaky-receiver.py`, next to the checkout's `.ci/chaos`.
    static var flakyReceiver: String {
        var directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent(".ci/flaky-receiver.py").path) && directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent(".ci/flaky-receiver.py").path
    }

    static func waitForHealth(port: UInt16) throws {
        let client = HTTPLoadClient(host: "127.0.0.1", port: port)
        let request = Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        for _ in 0..<300 {
            if (try? client.send(request)) == 200 { return }
            usleep(100_000)
        }
        throw LoadError("serve did not become healthy")
    }
}

/// The senders: each takes the next subscription, delivers its events in shuffled order, and
/// retries every event as a provider does (503 or a broken connection: back off and send it again,
/// freshly signed, with the same id) until it is acknowledged.
final class Load: Sendable {
    struct Stats: Sendable {
        var unavailable = 0
        var connectionErrors = 0
        var other = 0
        var firstAckAfterRestart: ContinuousClock.Instant?
    }

    let port: UInt16
    let secret: WebhookSecret
    let base: Int
    private let next = Atomic<Int>(0)
    private let acked = Mutex<[String]>([])
    private let counters = Mutex(Stats())
    private let restarted = Atomic<Bool>(false)

    init(port: UInt16, secret: WebhookSecret, base: Int) {
        self.port = port
        self.secret = secret
        self.base = base
    }

    func markRestart() { restarted.store(true, ordering: .sequentiallyConsistent) }

    func acknowledged() -> [String] { acked.withLock { $0 } }

    func stats() -> Stats { counters.withLock { $0 } }

    func send(until deadline: ContinuousClock.Instant) {
        let client = HTTPLoadClient(host: "127.0.0.1", port: port)
        while ContinuousClock.now < deadline {
            let index = base + next.wrappingAdd(1, ordering: .relaxed).oldValue
            for body in ReplayLogBench.events(for: index).shuffled() {
                deliver(body, with: client)
            }
        }
    }

    private func deliver(_ body: String, with client: HTTPLoadClient) {
        let id = String(body.split(separator: "\"")[7])  // {"object":"event","id":"<id>"
        var backoff: UInt32 = 50_000
        while true {
            // Signed afresh on every attempt: a retry minutes later must still be within tolerance.
            let request = IngestBench.signedRequest(id: id, body: body, host: "127.0.0.1", secret: secret)
            switch Result(catching: { try client.send(request) }) {
            case .success(let status) where status == 202 || status == 200:
                acked.withLock { $0.append(id) }
                if restarted.load(ordering: .sequentiallyConsistent) {
                    counters.withLock { if $0.firstAckAfterRestart == nil { $0.firstAckAfterRestart = .now } }
                }
                return
            case .success(503):
                counters.withLock { $0.unavailable += 1 }
            case .success:
                counters.withLock { $0.other += 1 }
                return
            case .failure:
                counters.withLock { $0.connectionErrors += 1 }
            }
            usleep(backoff)
            backoff = min(backoff * 2, 1_000_000)
        }
    }
}
