import Metrics
import Synchronization

/// Ingest metrics through the swift-metrics facade (exported by whatever backend the process
/// bootstraps). Counters are made once per outcome, not per request: the factory lookup is not free.
final class IngestMetrics: Sendable {
    private let latency = Timer(label: "addon_ingest_request_duration_seconds", preferredDisplayUnit: .seconds)
    private let counters = Mutex<[String: Counter]>([:])

    /// Counts one request by outcome (`accepted`, `duplicate`, `ignored`, or the error type) and its latency.
    func record(outcome: String, since start: ContinuousClock.Instant) {
        let counter = counters.withLock { counters in
            if let counter = counters[outcome] { return counter }
            let counter = Counter(label: "addon_ingest_requests_total", dimensions: [("outcome", outcome)])
            counters[outcome] = counter
            return counter
        }
        counter.increment()
        latency.recordInterval(since: start)
    }
}

extension Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
