import ArgumentParser

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Runs ingest and workers in one process (with no DATABASE_URL, on a private PostgreSQL).")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var http: HTTPOptions
    @OptionGroup var worker: WorkerOptions
    @OptionGroup var delivery: DeliveryOptions

    func run() async throws {
        try await HTTPService.run(options: options, http: http, workers: worker.configuration, delivery: delivery, delivers: true, banner: "addon-lifecycle running")
    }
}
