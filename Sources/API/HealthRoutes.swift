import Hummingbird
import Ingest
import Logging
import Postgres
import Store

/// `GET /healthz` (the process answers) and `GET /readyz` (the database answers and its schema is
/// the one this build expects), for load balancers and orchestrators: no auth.
struct HealthRoutes<Context: RequestContext> {
    let pool: PostgresPool

    func register(on router: Router<Context>) {
        router.get("healthz") { _, _ in Response.json(["status": "ok"]) }
        router.get("readyz") { _, context in
            let version: Int
            do {
                version = try await Migrator(logger: context.logger).currentVersion(pool)
            } catch {
                context.logger.warning("not ready: database unreachable", metadata: ["error": "\(error)"])
                throw APIError.databaseUnavailable
            }
            guard version == Migrations.latestVersion else {
                throw APIError(status: .serviceUnavailable, type: "unavailable", code: "schemaNotCurrent",
                               message: "The database schema is version \(version); this build needs \(Migrations.latestVersion).",
                               hint: "Run addon-lifecycle migrate.", retryAfter: 5)
            }
            return Response.json(["status": "ready", "schemaVersion": .int(version)])
        }
    }
}
