import ArgumentParser
import Foundation
import Lifecycle
import EventFormat
import Logging
import Postgres
import Processes
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
    @Option(help: "Instead of draining a backlog: offer this many events/s for --seconds and report end-to-end latency.") var rate: Double = 0
    @Option(help: "Seconds of offered load (with --rate).") var seconds: Double = 10
    @Option(help: "Instead: schedule this many expiry timers spread over --window seconds and report their lateness.") var timers = 0
    @Option(help: "Seconds over which the timers fall due (with --timers).") var window: Double = 30

    func run() async throws {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else { throw ValidationError("set DATABASE_URL") }
        let logger = Logger(label: "bench")
        let pool = PostgresPool(configuration: PostgresConfiguration(url), size: 4, logger: logger)
        try await Migrator(logger: logger).migrate(pool)
        let run = String(UInt32.random(in: .min ... .max), radix: 36)
        let executable = binary ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("addon-lifecycle").path
        if rate > 0 {
            try await measureLatency(pool: pool, run: run, executable: executable, url: url)
            return
        }
        if timers > 0 {
            try await measureTimers(pool: pool, run: run, executable: executable, url: url)
            return
        }
        let subscriptions = max(1, events / 9)

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
        print("stored \(stored) events for \(subscriptions) subscriptions in \((ContinuousClock.now - loadStart).seconds) s")

        let start = ContinuousClock.now
        let machineBefore = CPUTime.machine()
        let children = try await startWorkers(executable: executable, url: url)
        defer { children.forEach { $0.signal(SIGTERM) } }
        try await Self.waitUntilDrained(pool)
        let elapsed = (ContinuousClock.now - start).seconds
        let workCPU = children.map { CPUTime.process($0.pid) }.reduce(0, +)
        let machineCPU = CPUTime.machine() - machineBefore
        let transitions = try await pool.withConnection { try $0.query("SELECT count(*) FROM transitions")[0].decode(Int.self, column: 0) }
        print(String(format: "workers: %d processes × %d actors processed %d events in %.2f s: %.0f events/s (%d transitions recorded)",
                     processes, workers, stored, elapsed, Double(stored) / elapsed, transitions))
        print(String(format: "CPU per event: work processes %.1f µs, PostgreSQL and the rest %.1f µs",
                     workCPU / Double(stored) * 1e6, (machineCPU - workCPU) / Double(stored) * 1e6))
    }

    /// Offers `rate` events/s (each add-on's attach, pay and latch committed together, as ingest
    /// would) to running workers, then reads from the database how long each activation took from
    /// the commit of its events (`received_at`) to its transition (`recorded_at`).
    func measureLatency(pool: PostgresPool, run: String, executable: String, url: String) async throws {
        let children = try await startWorkers(executable: executable, url: url)
        defer { children.forEach { $0.signal(SIGTERM) } }
        try await Task.sleep(for: .seconds(1))  // let the workers connect and LISTEN
        let addonsPerSecond = rate / 3
        let tick = 0.01  // send every 10 ms: what a steady stream of requests looks like to a batcher
        let perTick = addonsPerSecond * tick
        let start = ContinuousClock.now
        var sent = 0
        var carry = 0.0
        var tickNumber = 0
        while ContinuousClock.now - start < .milliseconds(Int(seconds * 1000)) {
            carry += perTick
            let count = Int(carry)
            carry -= Double(count)
            if count > 0 {
                let records = try (sent..<sent + count).flatMap { try Self.records(run: run, subscription: $0, addon: 0) }
                try await pool.withConnection { connection in _ = try EventInbox.insert(records, on: connection) }
                try await pool.withConnection { connection in try EventInbox.notifyWorkers(on: connection) }
                sent += count
            }
            tickNumber += 1
            let next = start + .milliseconds(Int(Double(tickNumber) * tick * 1000))
            if next > ContinuousClock.now { try await Task.sleep(until: next) }
        }
        let offered = (ContinuousClock.now - start).seconds
        // Drain, then read the latencies.
        try await WorkerBench.waitUntilDrained(pool)
        let latencies = try await pool.withConnection { connection in
            try connection.query("""
                SELECT (extract(epoch FROM t.recorded_at - max(e.received_at)) * 1000)::float8
                FROM transitions t JOIN events e ON e.project = t.project AND e.subscription = t.subscription
                WHERE t.kind = 'activated' AND t.project = 'bench'
                GROUP BY t.subscription_addon, t.recorded_at
                """).map { try $0.decode(Double.self, column: 0) }.sorted()
        }
        print(String(format: "workers: %d processes × %d actors, %.0f events/s offered for %.1f s (%d add-ons)",
                     processes, workers, Double(sent * 3) / offered, offered, sent))
        print(String(format: "end to end (events committed → activation committed) ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f",
                     latencies.percentile(0.5), latencies.percentile(0.9), latencies.percentile(0.99), latencies.percentile(1)))
    }

    /// Free one-day top-ups whose expiries are spread evenly over a window that starts after the
    /// setup (storing and first processing) is done: each becomes a future timer in `work`. Reports
    /// how late each expiry was recorded (`recorded_at - at`).
    func measureTimers(pool: PostgresPool, run: String, executable: String, url: String) async throws {
        let children = try await startWorkers(executable: executable, url: url)
        defer { children.forEach { $0.signal(SIGTERM) } }
        let dbNow = try await pool.withConnection { try $0.query("SELECT now()")[0].decode(PostgresTimestamp.self, column: 0) }
        // Setup (storing, then a first evaluation of every subscription at about 2k/s) must end
        // before the first expiry, or the measurement counts setup as lateness.
        let margin = Int64(Double(timers) / 1_500 + 15) * 1_000_000
        let first = dbNow.microsecondsSinceEpoch + margin
        let spread = Int64(window * 1_000_000)
        let day: Int64 = 86_400_000_000
        var batch: [InboxRecord] = []
        let loadStart = ContinuousClock.now
        for index in 0..<timers {
            let expiry = Instant(microseconds: first + spread * Int64(index) / Int64(max(1, timers - 1)))
            let created = Instant(microseconds: expiry.microseconds - day)
            let body = #"{"object":"event","id":"evt_t_\#(run)_\#(index)","type":"com.gigs.subscriptionAddon.created","time":"\#(created.rfc3339)","project":"timers","data":{"id":"sad_t_\#(run)_\#(index)","subscription":"sub_t_\#(run)_\#(index)","addon":{"id":"add_day","activationTrigger":"creation","coverage":null,"validity":{"unit":"day","value":1},"price":{"amount":0,"currency":"USD"}}}}"#
            let event = try EventDecoder.decode(Array(body.utf8))
            batch.append(InboxRecord(event, body: body))
            if batch.count == 1_000 || index == timers - 1 {
                let records = batch
                try await pool.withConnection { connection in _ = try EventInbox.insert(records, on: connection) }
                try await pool.withConnection { connection in try EventInbox.notifyWorkers(on: connection) }
                batch.removeAll(keepingCapacity: true)
            }
        }
        print("stored \(timers) add-ons in \((ContinuousClock.now - loadStart).seconds) s; expiries from +\(margin / 1_000_000) s over \(window) s")
        let end = PostgresTimestamp(microsecondsSinceEpoch: first + spread)
        while true {
            let (now, due, ended) = try await pool.withConnection { connection in
                try connection.query("""
                    SELECT now(), (SELECT count(*) FROM work WHERE due_at <= now()) + (SELECT count(*) FROM work_signals),
                           (SELECT count(*) FROM transitions WHERE kind = 'ended' AND project = 'timers')
                    """)[0].decode((PostgresTimestamp, Int, Int).self)
            }
            if now > end && due == 0 && ended == timers { break }
            if now.microsecondsSinceEpoch > end.microsecondsSinceEpoch + 120_000_000 {
                print("gave up waiting: \(ended) of \(timers) expiries recorded")
                break
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        let lateness = try await pool.withConnection { connection in
            try connection.query("""
                SELECT (extract(epoch FROM recorded_at - at) * 1000)::float8 FROM transitions WHERE kind = 'ended' AND project = 'timers'
                """).map { try $0.decode(Double.self, column: 0) }.sorted()
        }
        print(String(format: "timers: %d expiries over %.0f s with %d processes × %d actors; lateness ms: p50 %.1f  p99 %.1f  max %.1f",
                     lateness.count, window, processes, workers, lateness.percentile(0.5), lateness.percentile(0.99), lateness.percentile(1)))
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
            return InboxRecord(event, body: body)
        }
    }
}

extension WorkerBench {
    /// Until no event is pending. Every pending event's subscription has a signal or a due work
    /// row, so the probe is a look at the start of two indexes, not a count of the events table (which,
    /// every few milliseconds, would cost the machine a good share of a core); one count confirms.
    static func waitUntilDrained(_ pool: PostgresPool) async throws {
        while true {
            while try await pool.withConnection({
                try $0.query("SELECT EXISTS (SELECT FROM work WHERE due_at <= now()) OR EXISTS (SELECT FROM work_signals ORDER BY id LIMIT 1)")[0].decode(Bool.self, column: 0)
            }) {
                try await Task.sleep(for: .milliseconds(10))
            }
            let pending = try await pool.withConnection {
                try $0.query("SELECT count(*) FROM events WHERE status = 'pending'")[0].decode(Int.self, column: 0)
            }
            if pending == 0 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The `work` processes under test, their output inherited.
    func startWorkers(executable: String, url: String) async throws -> [ChildProcess] {
        var children: [ChildProcess] = []
        for _ in 0..<processes {
            children.append(try await ChildProcess.start(executable, ["work", "--workers", String(workers)],
                                                         environment: ["DATABASE_URL": url, "LOG_LEVEL": "error"],
                                                         output: .inherit, error: .inherit))
        }
        return children
    }
}
