import ArgumentParser

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "addon-lifecycle-bench",
        abstract: "Benchmarks that print figures (see README, Benchmark results). Never part of the test suite.",
        subcommands: [PostgresBench.self, IngestBench.self, SignRequests.self, WorkerBench.self, PipelineBench.self, DeliveryBench.self, ReadBench.self, ReplayLogBench.self, ChaosRun.self]
    )
}
