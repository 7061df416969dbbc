import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import Lifecycle
import EventFormat
import Postgres
import Store
import TestSupport
import Testing

/// Rules of SPEC §2 that need the inbox's memory: a repeated id, and who an add-on belongs to.
extension WebhookTests {
    @Test func aKnownIDIsADuplicateEvenWhenItsBodyNoLongerValidates() async throws {
        let body = WebhookFixtures.attached(id: "evt_known")
        #expect(try await post(body).status == .accepted)
        let changed = body.replacingOccurrences(of: #""activationTrigger":"usageStarted""#, with: #""activationTrigger":"someday""#)
        let reply = try await post(changed)
        #expect(reply.status == .ok)
        #expect(reply.json?["status"]?.stringValue == "duplicate")
        #expect(reply.json?["id"]?.stringValue == "evt_known")
        // The signature is still checked first, and an unknown id with that body is still refused.
        expectError(try await post(changed, headers: WebhookFixtures.headers(for: body)), .unauthorized, type: "unauthenticated")
        let unknown = changed.replacingOccurrences(of: "evt_known", with: "evt_unknown")
        expectError(try await post(unknown), .unprocessableContent, type: "invalid")
        #expect(try await storedEvents().map(\.0) == ["evt_known"])
    }

    @Test func anAddonBelongsToTheFirstSubscriptionThatNamesIt() async throws {
        #expect(try await post(WebhookFixtures.attached(id: "evt_a1", subscription: "sub_a", sad: "sad_shared")).status == .accepted)
        let foreign = WebhookFixtures.attached(id: "evt_b1", subscription: "sub_b", sad: "sad_shared")
        let refused = try await post(foreign)
        expectError(refused, .unprocessableContent, type: "invalid", code: "subscriptionAddonConflict")
        #expect(refused.json?["message"]?.stringValue?.contains("sub_a") == true)
        // Refused again on a retry, and nothing of it was stored.
        expectError(try await post(foreign), .unprocessableContent, type: "invalid", code: "subscriptionAddonConflict")
        // The owner may attach it again (the earliest creation wins in the fold).
        #expect(try await post(WebhookFixtures.attached(id: "evt_a2", subscription: "sub_a", sad: "sad_shared")).status == .accepted)
        #expect(try await storedEvents().map(\.0) == ["evt_a1", "evt_a2"])
        #expect(try await signalledSubscriptions() == ["sub_a"])
    }

    @Test func withinOneBatchTheFirstArrivalOwnsTheAddon() async throws {
        func record(_ id: String, _ subscription: String) throws -> InboxRecord {
            let body = WebhookFixtures.attached(id: id, subscription: subscription, sad: "sad_race")
            return InboxRecord(try EventDecoder.decode(body), body: body)
        }
        let records = [try record("evt_r1", "sub_first"), try record("evt_r2", "sub_second"), try record("evt_r3", "sub_first")]
        let stored = try await pool.withConnection { connection in try EventInbox.insert(records, on: connection) }
        #expect(stored.newIDs == ["evt_r1", "evt_r3"])
        #expect(stored.refused == ["evt_r2": "sub_first"])
        let owner = try await pool.withConnection { connection in
            try connection.query("SELECT subscription FROM subscription_addon_owners WHERE id = 'sad_race'")[0].decode(String.self, column: 0)
        }
        #expect(owner == "sub_first")
    }
}
