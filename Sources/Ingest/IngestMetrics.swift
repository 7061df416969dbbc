import Metrics

/// Ingest metrics through the swift-metrics facade (exported by whatever backend the process
/// bootstraps, Prometheus in `serve`/`run`).
struct IngestMetrics: Sendable {
    private let latency = Timer(label: "addon_ingest_request_duration_seconds", preferredDisplayUnit: .seconds)

    /// Counts one request by outcome (`accepted`, `duplicate`, or the error type) and its latency.
    func record(outcome: String, since start: ContinuousClock.Instant) {
        Counter(label: "addon_ingest_requests_total", dimensions: [("outcome", outcome)]).increment()
        latency.recordInterval(since: start)
    }
}

extension Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
