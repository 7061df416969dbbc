import Console
import Hummingbird
import StandardWebhooks
import Ingest
import Logging
import Postgres
import Prometheus

/// The whole HTTP surface of `serve` and `run` (SPEC §2, §4 and §8): webhooks, health, metrics, the
/// read and operator API behind bearer auth, and the console that uses it.
public enum HTTPApplication {
    public struct Configuration: Sendable {
        public var hostname: String
        public var port: Int
        /// Nil only with `--insecure-no-signature`.
        public var verifier: WebhookVerifier?
        /// Nil: the read API refuses every request.
        public var apiToken: String?
        /// Deadlines and caps of every connection.
        public var limits: HTTPLimits
        /// Endpoint URLs may be private or plain http (`--allow-private-destinations`).
        public var allowPrivateDestinations: Bool

        public init(hostname: String, port: Int, verifier: WebhookVerifier?, apiToken: String?, limits: HTTPLimits = HTTPLimits(),
                    allowPrivateDestinations: Bool = false) {
            self.hostname = hostname
            self.port = port
            self.verifier = verifier
            self.apiToken = apiToken
            self.limits = limits
            self.allowPrivateDestinations = allowPrivateDestinations
        }
    }

    /// `readPool`: where the read-only routes read (a hot standby), else `pool`.
    public static func router(pool: PostgresPool, readPool: PostgresPool? = nil, committer: GroupCommitter, verifier: WebhookVerifier?, apiToken: String?,
                              limits: HTTPLimits = HTTPLimits(), allowPrivateDestinations: Bool = false,
                              registry: PrometheusCollectorRegistry = Observability.registry,
                              now: @escaping @Sendable () -> Int64 = WebhookClock.unixSeconds) -> Router<BasicRequestContext> {
        operationsRouter(pool: pool, registry: registry) { router in
            WebhookController(verifier: verifier, committer: committer, budget: BodyBudget(bytes: limits.unsignedBodyBudget), now: now)
                .register(on: router)
            let api = router.group().add(middleware: BearerAuth(token: apiToken))
            let reads = readPool ?? pool
            AddonRoutes(pool: reads).register(on: api)
            EventRoutes(pool: pool, reads: reads).register(on: api)
            SubscriptionRoutes(pool: reads).register(on: api)
            EndpointRoutes(pool: pool, allowPrivateDestinations: allowPrivateDestinations).register(on: api)
            OpenAPIDocument.register(on: api)
            ConsoleRoutes.register(on: router)
        }
    }

    /// What a `work` process serves on its metrics port: probes and `/metrics` (its worker figures
    /// exist only in that process), nothing else. The process bootstraps `Observability` first.
    public static func operations(hostname: String, port: Int, pool: PostgresPool, limits: HTTPLimits = HTTPLimits(),
                                  logger: Logger) -> some ApplicationProtocol {
        Application(router: operationsRouter(pool: pool, registry: Observability.registry) { _ in },
                    server: .http1(limits: limits),
                    configuration: .init(address: .hostname(hostname, port: port), serverName: nil), logger: logger)
    }

    /// Error translation, 405s, probes and metrics, then whatever `routes` adds; the 405 table is
    /// filled once every route is known.
    static func operationsRouter(pool: PostgresPool, registry: PrometheusCollectorRegistry,
                                 routes: (Router<BasicRequestContext>) -> Void) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let routeTable = RouteTable()
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: MethodNotAllowed(routes: routeTable))
        HealthRoutes(pool: pool).register(on: router)
        MetricsRoutes(pool: pool, registry: registry).register(on: router)
        routes(router)
        routeTable.set(router.routes.map { ($0.method, $0.path.description) })
        return router
    }

    /// The process bootstraps `Observability` first, so the metrics of every service land in it.
    public static func application(_ configuration: Configuration, pool: PostgresPool, readPool: PostgresPool? = nil,
                                   logger: Logger) -> some ApplicationProtocol {
        let committer = GroupCommitter(pool: pool, logger: logger)
        return Application(
            router: router(pool: pool, readPool: readPool, committer: committer, verifier: configuration.verifier, apiToken: configuration.apiToken,
                           limits: configuration.limits, allowPrivateDestinations: configuration.allowPrivateDestinations),
            server: .http1(limits: configuration.limits),
            configuration: .init(address: .hostname(configuration.hostname, port: configuration.port), serverName: nil),
            logger: logger)
    }
}
