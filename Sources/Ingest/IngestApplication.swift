import Foundation
import StandardWebhooks
import Hummingbird
import Logging
import Postgres

/// The webhook endpoint on its own router (with error translation and /healthz): what the ingest
/// tests drive. The served application (`API.HTTPApplication`) registers the same controller.
public enum IngestApplication {
    public static func router(committer: GroupCommitter, verifier: WebhookVerifier?,
                              now: @escaping @Sendable () -> Int64 = WebhookClock.unixSeconds) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.get("/healthz") { _, _ in HTTPResponse.Status.ok }
        WebhookController(verifier: verifier, committer: committer, now: now).register(on: router)
        return router
    }
}

public enum WebhookClock {
    @Sendable public static func unixSeconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec)
    }
}
