import Foundation
import Hummingbird
import Logging
import Postgres

/// Builds the HTTP application: routes, error translation, and the server configuration.
public enum IngestApplication {
    public struct Configuration: Sendable {
        public var hostname: String
        public var port: Int
        /// Nil only with `--insecure-no-signature`.
        public var verifier: WebhookVerifier?

        public init(hostname: String, port: Int, verifier: WebhookVerifier?) {
            self.hostname = hostname
            self.port = port
            self.verifier = verifier
        }
    }

    public static func router(committer: GroupCommitter, verifier: WebhookVerifier?,
                              now: @escaping @Sendable () -> Int64 = WebhookClock.unixSeconds) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.get("/healthz") { _, _ in HTTPResponse.Status.ok }
        WebhookController(verifier: verifier, committer: committer, now: now).register(on: router)
        return router
    }

    public static func application(_ configuration: Configuration, pool: PostgresPool, logger: Logger) -> some ApplicationProtocol {
        let committer = GroupCommitter(pool: pool, logger: logger)
        return Application(
            router: router(committer: committer, verifier: configuration.verifier),
            configuration: .init(address: .hostname(configuration.hostname, port: configuration.port), serverName: nil),
            logger: logger)
    }
}

public enum WebhookClock {
    @Sendable public static func unixSeconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec)
    }
}
