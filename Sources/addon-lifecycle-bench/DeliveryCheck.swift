import EventFormat
import Foundation
import Postgres
import Store

/// The chaos run's delivery classification, from what the receiver logged and what the database
/// recorded: every message must have been answered 2xx at least once (undelivered), in its
/// subscription's order (out of order), and the last object each add-on was delivered with must be
/// the database's (wrong). Deliveries of one `webhook-id` answered 2xx more than once are counted.
enum DeliveryCheck {
    struct Result {
        var messages = 0
        var requests = 0
        var accepted = 0
        var undelivered = 0
        var outOfOrder = 0
        var wrong = 0
        var duplicated = 0
    }

    static func classify(receiverLog: String, pool: PostgresPool) async throws -> Result {
        var result = Result()
        // What the receiver answered 2xx to, in the order it did.
        var acceptedOrder: [(id: String, body: JSONValue)] = []
        let text = (try? String(contentsOfFile: receiverLog, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            guard let entry = try? JSONValue(parsing: String(line)) else { continue }
            result.requests += 1
            if entry["answer"] == 200, let id = entry["id"]?.stringValue, let body = entry["body"] {
                acceptedOrder.append((id, body))
            }
        }
        result.accepted = acceptedOrder.count
        var firstAccepted: [String: Int] = [:]
        for (position, delivery) in acceptedOrder.enumerated() {
            if firstAccepted[delivery.id] == nil { firstAccepted[delivery.id] = position } else { result.duplicated += 1 }
        }
        // Messages in the order they were queued, per subscription.
        let messages = try await pool.withConnection { connection in
            try connection.query("""
                SELECT t.event_id, m.subscription FROM webhook_messages m JOIN transitions t ON t.seq = m.transition_seq
                WHERE m.endpoint_id = 'we_chaos' ORDER BY m.seq
                """).map { try $0.decode((String, String).self) }
        }
        result.messages = messages.count
        var lastPosition: [String: Int] = [:]
        for (id, subscription) in messages {
            guard let position = firstAccepted[id] else {
                result.undelivered += 1
                continue
            }
            if let previous = lastPosition[subscription], previous > position { result.outOfOrder += 1 }
            lastPosition[subscription] = max(position, lastPosition[subscription] ?? -1)
        }
        // The last object delivered for each add-on against the stored one.
        var last: [String: JSONValue] = [:]
        for delivery in acceptedOrder {
            if let data = delivery.body["data"], let id = data["id"]?.stringValue { last[id] = data }
        }
        let subscriptions = Array(Set(messages.map(\.1)))
        let stored = try await pool.withConnection { connection in
            var objects: [String: JSONValue] = [:]
            for chunk in stride(from: 0, to: subscriptions.count, by: 1_000).map({ Array(subscriptions[$0..<min($0 + 1_000, subscriptions.count)]) }) {
                for (_, addons) in try AddonQueries.objects(project: "bench", subscriptions: chunk, on: connection) {
                    objects.merge(addons) { a, _ in a }
                }
            }
            return objects
        }
        for (id, object) in last where stored[id] != object { result.wrong += 1 }
        return result
    }
}
