import Metrics
import Prometheus

/// The process's metrics registry. swift-metrics allows one backend per process, bootstrapped
/// before any `Counter` is made; `bootstrap()` is idempotent so tests and commands can both call it.
public enum Observability {
    public static let registry = PrometheusCollectorRegistry()

    private static let bootstrapped: Void = {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Ingest answers in milliseconds: buckets around the 25 ms target, not the default 5 ms–10 s.
        factory.durationHistogramBuckets["addon_ingest_request_duration_seconds"] = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5),
        ]
        factory.valueHistogramBuckets["addon_worker_batch_size"] = [1, 2, 5, 10, 20, 50, 100, 200, 500]
        MetricsSystem.bootstrap(factory)
    }()

    public static func bootstrap() { _ = bootstrapped }
}
