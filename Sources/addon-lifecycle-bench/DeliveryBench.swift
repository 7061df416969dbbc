import ArgumentParser
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Postgres
import Processes
import ServiceLifecycle
import StandardWebhooks
import Store
import Synchronization

/// Delivery to a local receiver (in this process, answering 204 at once):
/// - throughput: `--messages` claimable messages (one per subscription) are stored, then
///   `deliver` processes start, and the time until every one is delivered and recorded is measured;
/// - latency (`--rate`): `work` processes fold events offered at that rate, each making one
///   transition, and the time from the transition's commit to its receipt is measured.
struct DeliveryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver",
        abstract: "Deliveries/s to a local receiver, and commit-to-receipt latency (needs DATABASE_URL).")

    @Option(help: "Messages to deliver (throughput).") var messages = 50_000
    @Option(help: "`deliver` processes (throughput).") var processes = 1
    @Option(help: "Instead: offer this many transitions/s for --seconds through `work` and report the latency.") var rate: Double = 0
    @Option(help: "Seconds of offered load (with --rate).") var seconds: Double = 10
    @Option(help: "The addon-lifecycle binary.") var binary: String?

    func run() async throws {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else { throw ValidationError("set DATABASE_URL") }
        let logger = Logger(label: "bench")
        let pool = PostgresPool(configuration: PostgresConfiguration(url), size: 4, logger: logger)
        try await Migrator(logger: logger).migrate(pool)
        let executable = binary ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("addon-lifecycle").path
        let receiver = try await BenchReceiver.start()
        _ = try await pool.withConnection { connection in
            try WebhookEndpoints.create(id: "we_bench", project: "bench", url: "http://127.0.0.1:\(receiver.port)/hook", eventTypes: nil,
                                        description: "bench receiver", secret: WebhookSecret.generate().encoded, on: connection)
        }
        let environment = ["DATABASE_URL": url, "LOG_LEVEL": "error", "DELIVERY_ALLOW_PRIVATE": "true"]
        if rate > 0 {
            try await measureLatency(pool: pool, receiver: receiver, executable: executable, environment: environment)
        } else {
            try await measureThroughput(pool: pool, receiver: receiver, executable: executable, environment: environment)
        }
        await receiver.stop()
    }

    func measureThroughput(pool: PostgresPool, receiver: BenchReceiver, executable: String, environment: [String: String]) async throws {
        let loadStart = ContinuousClock.now
        // One outbox entry and one claimable message per subscription, written as a worker would.
        try await pool.withConnection { connection in
            try connection.query("""
                WITH entries AS (
                    INSERT INTO transitions (project, subscription_addon, subscription, kind, at, event_id, payload)
                    SELECT 'bench', 'sad_' || i, 'sub_' || i, 'activated', now(), 'evt_bench_' || i,
                           '{"object":"event","id":"evt_bench_' || i || '","type":"com.gigs.subscriptionAddon.activated","project":"bench","data":{"object":"subscriptionAddon","id":"sad_' || i || '","subscription":"sub_' || i || '","status":"active"}}'
                    FROM generate_series(1, $1) AS i
                    RETURNING seq, subscription
                )
                INSERT INTO webhook_messages (endpoint_id, transition_seq, subscription, next_attempt_at)
                SELECT 'we_bench', seq, subscription, now() FROM entries
                """, [messages])
        }
        print("stored \(messages) claimable messages in \(String(format: "%.2f", (ContinuousClock.now - loadStart).seconds)) s")
        let start = ContinuousClock.now
        let cpuBefore = (machine: CPUTime.machine(), bench: CPUTime.process(getpid()))
        var children: [ChildProcess] = []
        for _ in 0..<processes {
            children.append(try await ChildProcess.start(executable, ["deliver"], environment: environment, output: .inherit, error: .inherit))
        }
        defer { children.forEach { $0.signal(SIGTERM) } }
        // Watch the receiver (in memory) until everything arrived, then the database (a cheap
        // probe of the pending index) until every delivery is recorded: counting a table of
        // messages every few milliseconds would cost the machine more than a fifth of a core.
        while receiver.count < messages {
            guard ContinuousClock.now - start < .seconds(600) else { throw LoadError("not delivered after 600 s: \(receiver.count) received") }
            try await Task.sleep(for: .milliseconds(5))
        }
        while try await pool.withConnection({
            try $0.query("SELECT EXISTS (SELECT FROM webhook_messages WHERE status = 'pending')")[0].decode(Bool.self, column: 0)
        }) {
            guard ContinuousClock.now - start < .seconds(600) else { throw LoadError("not recorded after 600 s") }
            try await Task.sleep(for: .milliseconds(5))
        }
        let elapsed = (ContinuousClock.now - start).seconds
        let deliverCPU = children.map { CPUTime.process($0.pid) }.reduce(0, +)
        let machineCPU = CPUTime.machine() - cpuBefore.machine
        let benchCPU = CPUTime.process(getpid()) - cpuBefore.bench
        let received = receiver.count
        print(String(format: "deliver: %d process(es) delivered and recorded %d messages in %.2f s: %.0f deliveries/s (receiver got %d requests)",
                     processes, messages, elapsed, Double(messages) / elapsed, received))
        func perMessage(_ seconds: Double) -> Double { seconds / Double(messages) * 1e6 }
        print(String(format: "CPU per delivery: deliver %.0f µs, receiver (this process) %.0f µs, PostgreSQL and the rest %.0f µs; machine %.0f µs",
                     perMessage(deliverCPU), perMessage(benchCPU), perMessage(machineCPU - deliverCPU - benchCPU), perMessage(machineCPU)))
    }

    func measureLatency(pool: PostgresPool, receiver: BenchReceiver, executable: String, environment: [String: String]) async throws {
        var children: [ChildProcess] = []
        for _ in 0..<2 {
            children.append(try await ChildProcess.start(executable, ["work", "--workers", "2"], environment: environment,
                                                         output: .inherit, error: .inherit))
        }
        defer { children.forEach { $0.signal(SIGTERM) } }
        try await Task.sleep(for: .seconds(1))  // let them connect and LISTEN
        let interval = 0.01
        let perTick = max(1, Int((rate * interval).rounded()))
        let ticks = Int(seconds / interval)
        let start = ContinuousClock.now
        var offered = 0
        for tick in 0..<ticks {
            var records: [InboxRecord] = []
            for _ in 0..<perTick {
                let n = offered
                offered += 1
                let time = Date(timeIntervalSinceNow: -1)
                let body = #"{"object":"event","id":"evt_lat_\#(n)","type":"com.gigs.subscriptionAddon.created","time":"\#(ISO8601DateFormatter().string(from: time))","project":"bench","data":{"id":"sad_lat_\#(n)","subscription":"sub_lat_\#(n)","addon":{"id":"add_week","activationTrigger":"creation","validity":{"unit":"day","value":7},"coverage":null,"price":{"amount":0,"currency":"USD"}}}}"#
                records.append(InboxRecord(id: "evt_lat_\(n)", type: "com.gigs.subscriptionAddon.created", project: "bench",
                                           subscription: "sub_lat_\(n)", time: PostgresTimestamp(time), body: body,
                                           headers: PostgresJSONB("{}"), ignored: false, subscriptionAddon: "sad_lat_\(n)"))
            }
            let batch = records
            try await pool.withConnection { connection in
                _ = try EventInbox.insert(batch, on: connection)
                try EventInbox.notifyWorkers(on: connection)
            }
            let next = start + .seconds(Double(tick + 1) * interval)
            if next > ContinuousClock.now { try await Task.sleep(until: next) }
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while receiver.count < offered && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let receipts = receiver.receipts()
        let recorded = try await pool.withConnection { connection in
            Dictionary(uniqueKeysWithValues: try connection.query("""
                SELECT event_id, extract(epoch FROM recorded_at)::float8 FROM transitions WHERE project = 'bench' AND event_id IS NOT NULL
                """).map { try $0.decode((String, Double).self) })
        }
        let latencies = receipts.compactMap { receipt in recorded[receipt.id].map { (receipt.at - $0) * 1_000 } }.sorted()
        // Where the time goes: from the transition's write to the start of its first attempt (the
        // worker's commit, the wake-up, the claim), and from there to the receipt (the request).
        let attempts = try await pool.withConnection { connection in
            try connection.query("""
                SELECT extract(epoch FROM m.delivered_at - t.recorded_at)::float8 * 1000 FROM webhook_messages m
                JOIN transitions t ON t.seq = m.transition_seq WHERE t.project = 'bench' AND m.delivered_at IS NOT NULL
                """).map { try $0.decode(Double.self, column: 0) }.sorted()
        }
        print(String(format: "write to attempt start: p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                     attempts.percentile(0.5), attempts.percentile(0.99), attempts.last ?? 0))
        print(String(format: "deliver: %d transitions offered at %.0f/s over %.0f s; %d received", offered, rate, seconds, receipts.count))
        print(String(format: "commit to receipt: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms",
                     latencies.percentile(0.5), latencies.percentile(0.9), latencies.percentile(0.99), latencies.last ?? 0))
    }
}

/// A receiver as fast as this process can answer: 204 at once, each `webhook-id` and when it came.
final class BenchReceiver: Sendable {
    final class Log: Sendable {
        let entries = Mutex<[(id: String, at: Double)]>([])
    }

    let port: Int
    private let log: Log
    private let running: Task<Void, any Error>

    static func start() async throws -> BenchReceiver {
        let (ports, reportPort) = AsyncStream.makeStream(of: Int.self)
        let log = Log()
        let router = Router()
        let id = HTTPField.Name("webhook-id")!
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            let at = Date().timeIntervalSince1970
            let received = request.headers[id] ?? ""
            log.entries.withLock { $0.append((received, at)) }
            return .noContent
        }
        // Stopping a receiver cancels its server, which Hummingbird reports as errors: not news.
        var logger = Logger(label: "receiver")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in reportPort.yield(channel.localAddress?.port ?? 0) },
                              logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        return BenchReceiver(port: await iterator.next() ?? 0, log: log, running: running)
    }

    private init(port: Int, log: Log, running: Task<Void, any Error>) {
        self.port = port
        self.log = log
        self.running = running
    }

    var count: Int { log.entries.withLock { $0.count } }

    func receipts() -> [(id: String, at: Double)] { log.entries.withLock { $0 } }

    func stop() async {
        running.cancel()
        _ = try? await running.value
    }
}

/// CPU seconds (user + system) from /proc: of one process, or of the whole machine.
enum CPUTime {
    static func process(_ pid: pid_t) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / ticks
    }

    /// Every live process whose command is `name` (PostgreSQL's backends and helpers), summed.
    static func processes(named name: String) -> Double {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        return entries.compactMap(Int32.init).reduce(0) { total, pid in
            guard let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
                  comm.trimmingCharacters(in: .whitespacesAndNewlines) == name else { return total }
            return total + process(pid)
        }
    }

    static func machine() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8), let line = text.split(separator: "\n").first else { return 0 }
        let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard values.count >= 8 else { return 0 }
        // user, nice, system, (idle, iowait skipped), irq, softirq, steal
        return (values[0] + values[1] + values[2] + values[5] + values[6] + values[7]) / ticks
    }

    static let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
}
