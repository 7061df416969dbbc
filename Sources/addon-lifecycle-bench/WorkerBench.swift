import ArgumentParser
import Foundation
import Lifecycle
import Logging
import Postgres
import Store

/// Throughput of the full lifecycle through `work` processes: N events (attach, pay, trigger per
/// add-on, three add-ons per subscription) are stored first, then the worker processes start and
/// the time until every event is processed is measured.
struct WorkerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers",
        abstract: "Events/s through the full lifecycle with N `work` processes (needs DATABASE_URL).")

    @Option(help: "Events to process (a multiple of 9).") var events = 90_000
    @Option(help: "`work` processes.") var processes = 2
    @Option(help: "Worker actors per process.") var workers = 2
    @Option(help: "The addon-lifecycle binary.") var binary: String?

    func run() async throws {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else { throw ValidationError("set DATABASE_URL") }
        let logger = Logger(label: "bench")
        let pool = PostgresPool(configuration: PostgresConfiguration(url), size: 4, logger: logger)
        try await Migrator(logger: logger).migrate(pool)
        let subscriptions = max(1, events / 9)
        let run = String(UInt32.random(in: .min ... .max), radix: 36)

        let loadStart = ContinuousClock.now
        var batch: [InboxRecord] = []
        for subscription in 0..<subscriptions {
            for addon in 0..<3 {
                batch += try Self.records(run: run, subscription: subscription, addon: addon)
            }
            if batch.count >= 900 || subscription == subscriptions - 1 {
                let records = batch
                try await pool.withConnection { connection in _ = try EventInbox.insert(records, on: connection) }
                batch.removeAll(keepingCapacity: true)
            }
        }
        let stored = subscriptions * 9
        print("stored \(stored) events for \(subscriptions) subscriptions in \(Self.seconds(ContinuousClock.now - loadStart)) s")

        let executable = binary ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("addon-lifecycle").path
        let start = ContinuousClock.now
        let children = try (0..<processes).map { _ in
            try Spawned(executable, ["work", "--workers", String(workers)], environment: ["DATABASE_URL": url, "LOG_LEVEL": "error"])
        }
        defer { children.forEach { $0.stop() } }
        while true {
            let pending = try await pool.withConnection { try $0.query("SELECT count(*) FROM events WHERE status = 'pending'")[0].decode(Int.self, column: 0) }
            if pending == 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let elapsed = Self.seconds(ContinuousClock.now - start)
        let transitions = try await pool.withConnection { try $0.query("SELECT count(*) FROM transitions")[0].decode(Int.self, column: 0) }
        print(String(format: "workers: %d processes × %d actors processed %d events in %.2f s: %.0f events/s (%d transitions recorded)",
                     processes, workers, stored, elapsed, Double(stored) / elapsed, transitions))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// A paid Europe week pass, its invoice, and a latch in Germany: activates, and (being in the
    /// past) expires, so each add-on records two transitions.
    static func records(run: String, subscription: Int, addon: Int) throws -> [InboxRecord] {
        let sub = "sub_\(run)_\(subscription)"
        let sad = "sad_\(run)_\(subscription)_\(addon)"
        let bodies = [
            #"{"object":"event","id":"evt_c_\#(sad)","type":"com.gigs.subscriptionAddon.created","time":"2025-12-15T10:30:0\#(addon)Z","project":"bench","data":{"id":"\#(sad)","subscription":"\#(sub)","addon":{"id":"add_eu","name":"1GB Europe Week Pass","activationTrigger":"networkLatch","coverage":{"id":"cp_eu","countries":["DE","FR","IT","ES","PL","NL"],"name":"Europe Zone 1"},"validity":{"unit":"day","value":7},"price":{"amount":499,"currency":"USD"}}}}"#,
            #"{"object":"event","id":"evt_p_\#(sad)","type":"com.gigs.invoice.paid","time":"2025-12-15T10:31:00Z","project":"bench","data":{"id":"inv_\#(sad)","subscription":"\#(sub)","lineItems":[{"subscriptionAddon":"\#(sad)"}]}}"#,
            #"{"object":"event","id":"evt_l_\#(sad)","type":"com.gigs.network.latched","time":"2025-12-1\#(6 + addon)T08:00:00Z","project":"bench","data":{"subscription":"\#(sub)","country":"DE"}}"#,
        ]
        return try bodies.map { body in
            let event = try EventDecoder.decode(Array(body.utf8))
            return InboxRecord(id: event.id, type: event.type, project: event.project, subscription: event.subscription,
                               time: PostgresTimestamp(event.time), body: body, headers: PostgresJSONB("{}"), ignored: false)
        }
    }
}

/// A child process started with posix_spawn, stopped with SIGTERM and reaped.
final class Spawned {
    let pid: pid_t

    init(_ executable: String, _ arguments: [String], environment: [String: String]) throws {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        guard posix_spawn(&pid, executable, nil, nil, argv, envp) == 0 else { throw LoadError("cannot start \(executable)") }
        self.pid = pid
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
