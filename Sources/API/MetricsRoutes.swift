import Hummingbird
import Logging
import Postgres
import Prometheus
import Store

/// `GET /metrics`: this process's counters and histograms, plus queue figures read from the
/// database at scrape time (shared by all processes, so any one reports them correctly).
struct MetricsRoutes<Context: RequestContext> {
    let pool: PostgresPool
    let registry: PrometheusCollectorRegistry

    func register(on router: Router<Context>) {
        let due = registry.gauge("addon_queue_due", help: "Subscriptions whose work is due now (estimated past 10,000).")
        let age = registry.gauge("addon_queue_oldest_due_age_seconds", help: "Seconds the oldest due work has waited.")
        let scheduled = registry.gauge("addon_queue_scheduled", help: "Subscriptions with a timer or retry later (estimated past 10,000).")
        let failed = registry.gauge("addon_events_failed", help: "Events that failed after all attempts (estimated past 10,000).")
        let retrying = registry.gauge("addon_queue_retrying", help: "Subscriptions being retried after a failure.")
        let estimated = registry.gauge("addon_queue_estimated", help: "1 when a queue figure of this scrape is an estimate.")
        let deliveryPending = registry.gauge("addon_delivery_pending", help: "Messages waiting to be delivered (exact up to 10,000).")
        let deliveryAge = registry.gauge("addon_delivery_oldest_pending_age_seconds",
                                         help: "Seconds since the oldest message of an enabled endpoint that is still waiting was created.")
        let disabled = registry.gauge("addon_endpoints_disabled", help: "Webhook endpoints disabled (by an operator, 410 or failing).")
        let up = registry.gauge("addon_database_up", help: "1 when the database answered this scrape.")
        router.get("metrics") { _, context in
            do {
                let (stats, delivery, disabledEndpoints) = try await pool.withConnection { connection in
                    (try QueueStats.read(on: connection), try WebhookMessages.stats(on: connection), try WebhookEndpoints.disabledCount(on: connection))
                }
                deliveryPending.set(to: Double(delivery.pending))
                deliveryAge.set(to: delivery.oldestAge)
                disabled.set(to: Double(disabledEndpoints))
                due.set(to: Double(stats.due))
                age.set(to: stats.oldestDueAge)
                scheduled.set(to: Double(stats.scheduled))
                failed.set(to: Double(stats.failedEvents))
                retrying.set(to: Double(stats.retrying))
                estimated.set(to: stats.isEstimated ? 1 : 0)
                up.set(to: 1)
            } catch {
                // Metrics still answer (the process's own figures are valid); the gauge says why
                // the queue figures are stale.
                context.logger.warning("metrics: database unreachable", metadata: ["error": "\(error)"])
                up.set(to: 0)
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }
}

extension PrometheusCollectorRegistry {
    /// A gauge under its full name (no namespace or unit parts to join).
    func gauge(_ name: String, help: String) -> Gauge {
        makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help))
    }
}
