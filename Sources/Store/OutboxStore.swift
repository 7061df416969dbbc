import Crypto
import Foundation
import Lifecycle
import EventFormat
import Postgres

/// The SQL of the outbox (SPEC §6): what a fold must compare with, and writing its entries and their
/// messages, in the worker's transaction.
public enum OutboxStore {
    /// For each subscription: its transitions, corrections and the view of each add-on's newest entry.
    static func recorded(_ keys: [WorkKey], on connection: isolated PostgresConnection) throws -> [WorkKey: RecordedOutbox] {
        var recorded: [WorkKey: RecordedOutbox] = [:]
        for row in try connection.query("""
            SELECT t.project, t.subscription, t.subscription_addon, t.kind, t.correction, t.view_status, t.view_created_at,
                   t.view_activated_at, t.view_ended_at, t.view_canceled_at, t.view_end_reason, t.view_period_start,
                   t.view_period_end, t.view_addon_hash
            FROM unnest($1::text[], $2::text[]) AS k(project, subscription)
            JOIN transitions t ON t.project = k.project AND t.subscription = k.subscription
            ORDER BY t.seq
            """, [keys.map(\.project), keys.map(\.subscription)]) {
            let (project, subscription, sad, kindText, correction) = try row.decode((String, String, String, String, Int).self)
            let key = WorkKey(project: project, subscription: subscription)
            switch kindText {
            case "activated": recorded[key, default: .init()].transitions.insert(TransitionKey(subscriptionAddon: sad, kind: .activated))
            case "ended": recorded[key, default: .init()].transitions.insert(TransitionKey(subscriptionAddon: sad, kind: .ended))
            default: recorded[key, default: .init()].corrections[sad] = correction
            }
            // Entries recorded before version 4 have no view: the next fold takes the state as told.
            if let view = try Self.view(row) { recorded[key, default: .init()].announced[sad] = view }
        }
        return recorded
    }

    private static func view(_ row: PostgresRow) throws -> AddonView? {
        guard let status = try row.decode(String?.self, column: 5).flatMap(AddonStatus.init(rawValue:)),
              let created = try row.decode(PostgresTimestamp?.self, column: 6) else { return nil }
        func instant(_ column: Int) throws -> Instant? { try row.decode(PostgresTimestamp?.self, column: column).map(Instant.init) }
        return AddonView(status: status, createdAt: Instant(created), activatedAt: try instant(7), endedAt: try instant(8),
                         canceledAt: try instant(9), endReason: try row.decode(String?.self, column: 10).flatMap(EndReason.init(rawValue:)),
                         periodStart: try instant(11), periodEnd: try instant(12), addonHash: try row.decode(Int64?.self, column: 13) ?? 0)
    }

    /// Appends `entries` (in order) to the log, each once, with its event id and its view, and
    /// creates a message for every endpoint of the project whose event types match (enabled or
    /// disabled), with the body it will carry. A project without endpoints costs one lookup: its
    /// entries get no body (an endpoint receives only what is recorded after it was created).
    /// Returns the entries written and how many messages are claimable now.
    static func record(_ entries: [(project: String, entry: OutboxEntry)],
                       on connection: isolated PostgresConnection) throws -> (recorded: [OutboxEntry], deliverable: Int) {
        guard !entries.isEmpty else { return ([], 0) }
        let endpoints = try WebhookMessages.endpoints(projects: Array(Set(entries.map(\.project))), on: connection)
        // An event id and a body only for what some endpoint will receive.
        let ids: [String?] = entries.map { item in
            let type = item.entry.kind.eventType
            guard endpoints[item.project]?.contains(where: { $0.types?.contains(type) ?? true }) == true else { return nil }
            return Self.eventID(project: item.project, entry: item.entry)
        }
        let payloads: [String?] = zip(ids, entries).map { id, item in
            id.map { OutboundEvent.body(id: $0, type: item.entry.kind.eventType, time: item.entry.at, project: item.project, state: item.entry.state) }
        }
        let views = entries.map(\.entry.view)
        func timestamps(_ values: [Instant?]) -> [PostgresTimestamp?] { values.map { $0.map(PostgresTimestamp.init) } }
        let rows = try connection.query("""
            INSERT INTO transitions (project, subscription_addon, subscription, kind, at, end_reason, correction, event_id, payload,
                view_status, view_created_at, view_activated_at, view_ended_at, view_canceled_at, view_end_reason,
                view_period_start, view_period_end, view_addon_hash, recorded_at)
            -- recorded_at: when written (just before commit), not when the batch began.
            SELECT *, clock_timestamp() FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[],
                $7::int4[], $8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[], $13::timestamptz[],
                $14::timestamptz[], $15::text[], $16::timestamptz[], $17::timestamptz[], $18::int8[])
            ON CONFLICT ON CONSTRAINT transitions_once DO NOTHING
            RETURNING seq, project, subscription, kind, subscription_addon, correction, event_id IS NOT NULL
            """, [
                entries.map(\.project), entries.map(\.entry.subscriptionAddon), entries.map(\.entry.subscription),
                entries.map(\.entry.kind.rawValue), entries.map { PostgresTimestamp($0.entry.at) }, entries.map(\.entry.reason?.rawValue),
                entries.map { Int32($0.entry.correction) }, ids, payloads,
                views.map(\.status.rawValue), views.map { PostgresTimestamp($0.createdAt) }, timestamps(views.map(\.activatedAt)),
                timestamps(views.map(\.endedAt)), timestamps(views.map(\.canceledAt)), views.map(\.endReason?.rawValue),
                timestamps(views.map(\.periodStart)), timestamps(views.map(\.periodEnd)), views.map(\.addonHash),
            ])
        // Each entry is written once: all of them, but for a race with another worker's write.
        var written: [(seq: Int64, project: String, subscription: String, type: String)] = []
        var keys = Set<String>()
        for row in rows {
            let (seq, project, subscription, kind, sad, correction) = try row.decode((Int64, String, String, String, String, Int).self)
            if try row.decode(Bool.self, column: 6) {
                written.append((seq, project, subscription, OutboxEntry.Kind(rawValue: kind)?.eventType ?? kind))
            }
            if rows.count < entries.count { keys.insert(Self.key(project: project, sad: sad, kind: kind, correction: correction)) }
        }
        let recorded = rows.count == entries.count ? entries.map(\.entry) : entries.filter {
            keys.contains(Self.key(project: $0.project, sad: $0.entry.subscriptionAddon, kind: $0.entry.kind.rawValue, correction: $0.entry.correction))
        }.map(\.entry)
        guard !written.isEmpty else { return (recorded, 0) }
        // RETURNING gives no order; messages are queued in the log's order.
        written.sort { $0.seq < $1.seq }
        let deliverable = try WebhookMessages.create(for: written, endpoints: endpoints.values.flatMap { $0.map(\.id) }, on: connection)
        return (recorded, deliverable)
    }

    private static func key(project: String, sad: String, kind: String, correction: Int) -> String {
        "\(project)\u{1F}\(sad)\u{1F}\(kind)\u{1F}\(correction)"
    }

    /// The same entry always gets the same id: project, add-on, kind and correction number.
    static func eventID(project: String, entry: OutboxEntry) -> String {
        let text = [project, entry.subscriptionAddon, entry.kind.rawValue, String(entry.correction)].joined(separator: "\u{1F}")
        let digest = SHA256.hash(data: Array(text.utf8))
        let hex = Array("0123456789abcdef".utf8)
        var id = Array("evt_".utf8)
        id.reserveCapacity(36)
        for byte in digest.prefix(16) {
            id.append(hex[Int(byte >> 4)])
            id.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: id, as: UTF8.self)
    }
}
