import ArgumentParser
import Foundation
import Worker

/// Options of the commands that run workers (`work`, `run`).
struct WorkerOptions: ParsableArguments {
    @Option(help: "Worker actors in this process (env: WORKERS).")
    var workers: Int?

    var resolvedWorkers: Int {
        workers ?? ProcessInfo.processInfo.environment["WORKERS"].flatMap(Int.init) ?? 2
    }

    func validate() throws {
        if let text = workers.map(String.init) ?? ProcessInfo.processInfo.environment["WORKERS"] {
            guard let value = Int(text), (1...256).contains(value) else {
                throw ValidationError("invalid WORKERS '\(text)'; use 1–256")
            }
        }
    }

    var configuration: WorkerService.Configuration { .init(workers: resolvedWorkers) }
}
