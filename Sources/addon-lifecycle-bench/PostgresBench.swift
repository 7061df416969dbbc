import ArgumentParser
import Foundation
import Logging
import Postgres

/// Measures the Postgres layer against the machine's pgbench baselines: single-row INSERT, one
/// durable commit each, from N concurrent clients through `PostgresPool`; and 50-row batches bound
/// as arrays (`unnest`).
struct PostgresBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "INSERT throughput through PostgresPool (needs DATABASE_URL).")

    @Option(help: "Concurrent clients (comma-separated list runs each).")
    var clients: String = "1,8,32"

    @Option(help: "Seconds per measurement.")
    var seconds: Double = 5

    @Option(help: "Rows per batch for the batched measurement.")
    var batch: Int = 50

    func run() async throws {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else {
            throw ValidationError("set DATABASE_URL (e.g. run under .ci/with-postgres)")
        }
        let configuration = PostgresConfiguration(url)
        let clientCounts = clients.split(separator: ",").compactMap { Int($0) }
        let setup = try await PostgresConnection.connect(configuration)
        try await setup.run { connection in
            try connection.simpleQuery("""
                DROP TABLE IF EXISTS bench_rows;
                CREATE TABLE bench_rows (id bigserial PRIMARY KEY, name text NOT NULL, at timestamptz NOT NULL, body text NOT NULL)
                """)
        }
        let body = String(repeating: "x", count: 400)
        print("postgres layer, \(seconds)s per run, durable commits (synchronous_commit on)")
        for count in clientCounts {
            let pool = PostgresPool(configuration: configuration, size: count, logger: Logger(label: "bench"))
            let single = try await measure(clients: count, seconds: seconds) {
                try await pool.withConnection { connection in
                    try connection.query("INSERT INTO bench_rows (name, at, body) VALUES ($1, $2, $3)",
                                         ["evt", PostgresTimestamp(Date()), body])
                }
                return 1
            }
            let batchSize = batch
            let names = [String](repeating: "evt", count: batchSize)
            let bodies = [String](repeating: body, count: batchSize)
            let batched = try await measure(clients: count, seconds: seconds) {
                let times = [PostgresTimestamp](repeating: PostgresTimestamp(Date()), count: batchSize)
                try await pool.withConnection { connection in
                    try connection.query(
                        "INSERT INTO bench_rows (name, at, body) SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[])",
                        [names, times, bodies])
                }
                return batchSize
            }
            pool.close()
            print(String(format: "clients %3d: single-row INSERT %8.0f rows/s | %d-row unnest INSERT %9.0f rows/s",
                         count, single, batchSize, batched))
        }
    }

    /// Runs `operation` in a loop from `clients` tasks for `seconds`; returns rows per second.
    private func measure(clients: Int, seconds: Double, _ operation: @escaping @Sendable () async throws -> Int) async throws -> Double {
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        let rows = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var rows = 0
                    while ContinuousClock.now < deadline { rows += try await operation() }
                    return rows
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        return Double(rows) / elapsed.seconds
    }
}
