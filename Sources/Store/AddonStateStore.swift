import Lifecycle
import EventFormat
import Postgres

/// The SQL of the materialized add-on state.
public enum AddonStateStore {
    /// Writes evaluated add-ons (insert, or overwrite when changed), each with its project, in one statement. The
    /// add-on object goes in as json text: any JSON the decoder accepted is storable (migration 003).
    public static func upsert(_ entries: [(project: String, state: AddonState)], on connection: isolated PostgresConnection) throws(PostgresError) {
        guard !entries.isEmpty else { return }
        let addons = entries.map(\.state)
        func timestamps(_ values: [Instant?]) -> [PostgresTimestamp?] { values.map { $0.map(PostgresTimestamp.init) } }
        try connection.query("""
            INSERT INTO subscription_addons (project, id, subscription, addon_id, addon, status, created_at, eligible_at,
                activated_at, ended_at, canceled_at, end_reason, period_number, period_start, period_end, updated_at)
            SELECT project, id, subscription, addon_id, addon::json, status, created_at, eligible_at, activated_at, ended_at,
                   canceled_at, end_reason, period_number, period_start, period_end, now()
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[],
                        $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::int8[], $14::timestamptz[], $15::timestamptz[])
                 AS s(project, id, subscription, addon_id, addon, status, created_at, eligible_at, activated_at, ended_at,
                      canceled_at, end_reason, period_number, period_start, period_end)
            ON CONFLICT (project, id) DO UPDATE SET
                subscription = excluded.subscription, addon_id = excluded.addon_id, addon = excluded.addon,
                status = excluded.status, created_at = excluded.created_at, eligible_at = excluded.eligible_at,
                activated_at = excluded.activated_at, ended_at = excluded.ended_at, canceled_at = excluded.canceled_at,
                end_reason = excluded.end_reason, period_number = excluded.period_number,
                period_start = excluded.period_start, period_end = excluded.period_end, updated_at = now()
            -- An add-on the fold left as it was keeps its row version (and its indexes their entries).
            WHERE (subscription_addons.subscription, subscription_addons.addon_id, subscription_addons.addon::text,
                   subscription_addons.status, subscription_addons.created_at, subscription_addons.eligible_at,
                   subscription_addons.activated_at, subscription_addons.ended_at, subscription_addons.canceled_at,
                   subscription_addons.end_reason, subscription_addons.period_number, subscription_addons.period_start,
                   subscription_addons.period_end)
                IS DISTINCT FROM (excluded.subscription, excluded.addon_id, excluded.addon::text, excluded.status,
                   excluded.created_at, excluded.eligible_at, excluded.activated_at, excluded.ended_at, excluded.canceled_at,
                   excluded.end_reason, excluded.period_number, excluded.period_start, excluded.period_end)
            """, [
                entries.map(\.project), addons.map(\.id), addons.map(\.subscription), addons.map(\.addon.id),
                addons.map(\.addon.rawText), addons.map(\.status.rawValue),
                addons.map { PostgresTimestamp($0.createdAt) }, timestamps(addons.map(\.eligibleAt)),
                timestamps(addons.map(\.activatedAt)), timestamps(addons.map(\.endedAt)), timestamps(addons.map(\.canceledAt)),
                addons.map(\.endReason?.rawValue), addons.map { $0.currentPeriod.map { Int64($0.number) } },
                timestamps(addons.map(\.currentPeriod?.start)), timestamps(addons.map { $0.currentPeriod?.end }),
            ])
    }
}
