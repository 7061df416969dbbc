import ArgumentParser
import Foundation
import Logging
import Postgres
import Processes
import StandardWebhooks
import Store

/// The whole pipeline on one box (`.ci/bench pipeline`): wrk sends presigned webhooks (each
/// add-on attached, paid and used, on `--subscriptions` subscriptions) to `serve` while `work`
/// processes fold them. Prints acknowledged events/s, events processed inside the load window,
/// the backlog at its end and the time to drain it, the latency from an event's commit to the
/// transition it caused, and the CPU each process spent per event.
struct PipelineBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Ingest and workers together under wrk (needs DATABASE_URL and wrk).")

    @Option(help: "wrk connections.") var connections = 64
    @Option(help: "Seconds of load.") var seconds = 20
    @Option(help: "Subscriptions the add-ons spread over.") var subscriptions = 20_000
    @Option(help: "`work` processes.") var processes = 1
    @Option(help: "Worker actors per process.") var workers = 2
    @Option(help: "Subscriptions a worker claims per transaction.") var batchSize = 100
    @Flag(help: "Also deliver every transition to a local receiver (the work processes deliver).") var delivery = false
    @Option(help: "The addon-lifecycle binary.") var binary: String?
    @Option(help: "The wrk script (`.ci/wrk-webhooks.lua`).") var script = ".ci/wrk-webhooks.lua"

    func run() async throws {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else { throw ValidationError("set DATABASE_URL") }
        let logger = Logger(label: "bench")
        let pool = PostgresPool(configuration: PostgresConfiguration(url), size: 2, logger: logger)
        try await Migrator(logger: logger).migrate(pool)
        let executable = binary ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("addon-lifecycle").path
        let secret = WebhookSecret.generate()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        var receiver: BenchReceiver?
        if delivery {
            let started = try await BenchReceiver.start()
            receiver = started
            _ = try await pool.withConnection { connection in
                try WebhookEndpoints.create(id: "we_bench", project: "bench", url: "http://127.0.0.1:\(started.port)/hook", eventTypes: nil,
                                            description: "bench receiver", secret: WebhookSecret.generate().encoded, on: connection)
            }
        }
        // Unique ids for 40k events/s (far above what the box acknowledges); past them wrk repeats
        // requests, which are answered 200 duplicate and not counted as accepted.
        try Self.sign(count: 40_000 * seconds, files: 2, subscriptions: subscriptions, secret: secret, out: directory)

        let port = try EmbeddedCluster.freeLoopbackPort()
        let environment = ["DATABASE_URL": url, "LOG_LEVEL": "error", "DELIVERY_ALLOW_PRIVATE": "true"]
        let serve = try await ChildProcess.start(executable, ["serve"], environment: environment.merging([
            "WEBHOOK_SECRETS": secret.encoded, "PORT": String(port), "HOST": "127.0.0.1",
        ]) { $1 }, output: .inherit, error: .inherit)
        var work: [ChildProcess] = []
        for _ in 0..<processes {
            work.append(try await ChildProcess.start(executable, ["work", "--workers", String(workers), "--batch-size", String(batchSize)] + (delivery ? [] : ["--no-delivery"]),
                                                     environment: environment, output: .inherit, error: .inherit))
        }
        defer {
            serve.signal(SIGTERM)
            work.forEach { $0.signal(SIGTERM) }
        }
        try await Self.waitForHealth(port: port, server: serve)
        try await Task.sleep(for: .seconds(1))  // the workers connect and LISTEN

        let output = directory + "/wrk.txt"
        let wrk = try await ChildProcess.start("/usr/bin/wrk", ["-t2", "-c\(connections)", "-d\(seconds)s", "-s", script,
                                                                "http://127.0.0.1:\(port)/webhooks", "--", directory],
                                               output: .file(output))
        // wrk reads its request files first (seconds of Lua): the window opens with the first event.
        while try await !pool.withConnection({ try $0.query("SELECT EXISTS (SELECT FROM events WHERE project = 'bench')")[0].decode(Bool.self, column: 0) }) {
            if wrk.hasExited { throw ValidationError("wrk exited: \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")") }
            try await Task.sleep(for: .milliseconds(10))
        }
        let cpuBefore = (serve: CPUTime.process(serve.pid), work: work.map { CPUTime.process($0.pid) }.reduce(0, +),
                         postgres: CPUTime.processes(named: "postgres"), machine: CPUTime.machine())
        let windowStart = try await Self.databaseNow(pool)
        _ = try await wrk.wait()
        let windowEnd = try await Self.databaseNow(pool)
        let cpuAfter = (serve: CPUTime.process(serve.pid), work: work.map { CPUTime.process($0.pid) }.reduce(0, +),
                        postgres: CPUTime.processes(named: "postgres"), machine: CPUTime.machine())
        let window = windowEnd - windowStart
        let (acknowledged, processedInWindow, backlog) = try await pool.withConnection { connection in
            try connection.query("""
                SELECT count(*), count(*) FILTER (WHERE processed_at <= $1), count(*) FILTER (WHERE status = 'pending')
                FROM events WHERE project = 'bench'
                """, [PostgresTimestamp(microsecondsSinceEpoch: Int64(windowEnd * 1e6))])[0].decode((Int, Int, Int).self)
        }
        let drainStart = ContinuousClock.now
        try await WorkerBench.waitUntilDrained(pool)
        let drain = (ContinuousClock.now - drainStart).seconds
        // From the commit of the last event an activation needed (the latest event of its
        // subscription received before it was recorded) to the commit of the activation.
        let latencies = try await pool.withConnection { connection in
            try connection.query("""
                SELECT (extract(epoch FROM t.recorded_at - (
                    SELECT max(e.received_at) FROM events e
                    WHERE e.project = t.project AND e.subscription = t.subscription AND e.received_at <= t.recorded_at)) * 1000)::float8
                FROM transitions t WHERE t.project = 'bench' AND t.kind = 'activated'
                """).map { try $0.decode(Double?.self, column: 0) ?? 0 }.sorted()
        }
        print((try? String(contentsOfFile: output, encoding: .utf8))?.split(separator: "\n").drop { !$0.hasPrefix("ingest (wrk)") }
            .joined(separator: "\n") ?? "")
        print(String(format: "pipeline: %d connections for %.1f s, %d × work (%d actors)%@", connections, window, processes, workers,
                     delivery ? ", delivering" : ""))
        print(String(format: "acknowledged: %.0f events/s; processed inside the window: %.0f events/s; backlog at its end: %d events (%.2f s of load), drained in %.2f s",
                     Double(acknowledged) / window, Double(processedInWindow) / window, backlog,
                     Double(backlog) / max(1, Double(acknowledged) / window), drain))
        print(String(format: "commit to activation: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (%d activations)",
                     latencies.percentile(0.5), latencies.percentile(0.9), latencies.percentile(0.99), latencies.last ?? 0, latencies.count))
        let perEvent = 1e6 / Double(max(1, processedInWindow))
        let serveCPU = cpuAfter.serve - cpuBefore.serve, workCPU = cpuAfter.work - cpuBefore.work
        let machineCPU = cpuAfter.machine - cpuBefore.machine
        let postgresCPU = cpuAfter.postgres - cpuBefore.postgres
        print(String(format: "CPU per processed event in the window: serve %.0f µs, work %.0f µs, PostgreSQL %.0f µs, wrk and the rest %.0f µs; machine %.0f µs (%.0f%% busy)",
                     serveCPU * perEvent, workCPU * perEvent, postgresCPU * perEvent, (machineCPU - serveCPU - workCPU - postgresCPU) * perEvent,
                     machineCPU * perEvent,
                     machineCPU / window / Double(ProcessInfo.processInfo.activeProcessorCount) * 100))
        if let receiver {
            print("delivered to the receiver: \(receiver.count) requests")
            await receiver.stop()
        }
    }

    /// Per add-on: created (a Europe week pass), invoice paid, network latched in Germany, in
    /// that order in one file (one wrk thread), on subscriptions taken in turn.
    static func sign(count: Int, files: Int, subscriptions: Int, secret: WebhookSecret, out: String) throws {
        let runID = String(UInt32.random(in: .min ... .max), radix: 36)
        var data = [[UInt8]](repeating: [], count: files)
        for addon in 0..<(count / 3) {
            let sub = "sub_\(runID)_\(addon % subscriptions)"
            let sad = "sad_\(runID)_\(addon)"
            let file = addon % files
            let bodies = [
                ("evt_c_\(sad)", IngestBench.createdBody(id: "evt_c_\(sad)", subscription: sub, sad: sad)),
                ("evt_p_\(sad)", #"{"object":"event","id":"evt_p_\#(sad)","type":"com.gigs.invoice.paid","time":"2025-12-15T10:31:00Z","project":"bench","specversion":"1.0","source":"https://api.gigs.com","datacontenttype":"application/json","data":{"object":"invoice","id":"inv_\#(sad)","subscription":"\#(sub)","lineItems":[{"object":"lineItem","subscriptionAddon":"\#(sad)","amount":499}]}}"#),
                ("evt_l_\(sad)", #"{"object":"event","id":"evt_l_\#(sad)","type":"com.gigs.network.latched","time":"2025-12-16T08:00:00Z","project":"bench","specversion":"1.0","source":"https://api.gigs.com","datacontenttype":"application/json","data":{"subscription":"\#(sub)","country":"DE"}}"#),
            ]
            for (id, body) in bodies {
                let request = IngestBench.signedRequest(id: id, body: body, host: "127.0.0.1", secret: secret)
                data[file] += Array("\(request.count)\n".utf8) + request
            }
        }
        for (file, bytes) in data.enumerated() {
            guard FileManager.default.createFile(atPath: "\(out)/requests-\(file).txt", contents: Data(bytes)) else {
                throw ValidationError("cannot write \(out)/requests-\(file).txt")
            }
        }
    }

    static func waitForHealth(port: Int, server: ChildProcess) async throws {
        for _ in 0..<200 {
            if server.hasExited { throw ValidationError("serve exited") }
            if try await ChildProcess.run("/usr/bin/curl", ["-fs", "-o", "/dev/null", "http://127.0.0.1:\(port)/healthz"]) == 0 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ValidationError("serve did not answer /healthz")
    }

    /// The database's clock, in Unix seconds: the window is measured where events are stamped.
    static func databaseNow(_ pool: PostgresPool) async throws -> Double {
        try await pool.withConnection { try $0.query("SELECT extract(epoch FROM clock_timestamp())::float8")[0].decode(Double.self, column: 0) }
    }
}
