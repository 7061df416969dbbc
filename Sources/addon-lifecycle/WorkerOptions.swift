import ArgumentParser
import Foundation
import Worker

/// Options of the commands that run workers (`work`, `run`).
struct WorkerOptions: ParsableArguments {
    @Option(help: "Worker actors in this process (env: WORKERS).")
    var workers: Int?

    @Option(name: .customLong("batch-size"), help: "Subscriptions a worker claims per transaction (env: WORKER_BATCH_SIZE; default 100).")
    var batchSize: Int?

    @Option(name: .customLong("metrics-port"),
            help: "Serve /metrics, /healthz and /readyz on this port; `work` only, `run` serves them on PORT (env: METRICS_PORT).")
    var metricsPort: Int?

    var resolvedMetricsPort: Int? {
        metricsPort ?? ProcessInfo.processInfo.environment["METRICS_PORT"].flatMap(Int.init)
    }

    var resolvedWorkers: Int {
        workers ?? ProcessInfo.processInfo.environment["WORKERS"].flatMap(Int.init) ?? 2
    }

    var resolvedBatchSize: Int {
        batchSize ?? ProcessInfo.processInfo.environment["WORKER_BATCH_SIZE"].flatMap(Int.init) ?? 100
    }

    func validate() throws {
        if let text = batchSize.map(String.init) ?? ProcessInfo.processInfo.environment["WORKER_BATCH_SIZE"] {
            guard let value = Int(text), (1...1_000).contains(value) else {
                throw ValidationError("invalid WORKER_BATCH_SIZE '\(text)'; use 1–1000")
            }
        }
        if let text = workers.map(String.init) ?? ProcessInfo.processInfo.environment["WORKERS"] {
            guard let value = Int(text), (1...256).contains(value) else {
                throw ValidationError("invalid WORKERS '\(text)'; use 1–256")
            }
        }
        if let text = metricsPort.map(String.init) ?? ProcessInfo.processInfo.environment["METRICS_PORT"] {
            guard let value = Int(text), (1...65_535).contains(value) else {
                throw ValidationError("invalid METRICS_PORT '\(text)'; use 1–65535")
            }
        }
    }

    var configuration: WorkerService.Configuration { .init(workers: resolvedWorkers, batchSize: resolvedBatchSize) }
}
