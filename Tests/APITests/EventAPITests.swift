import Foundation
import Lifecycle
import EventFormat
import Postgres
import Store
import Testing

/// `GET /events/{id}`, `GET /events?status=failed` and `POST /events/{id}/retry`.
@Suite(.timeLimit(.minutes(1)))
struct EventAPITests {
    @Test func anEventRecordOr404() async throws {
        let harness = try await APIHarness("api_events_one")
        try await harness.insertEvent(id: "evt_bad", status: "failed", error: "boom")
        let record = try await harness.request("/events/evt_bad")
        #expect(record.status == .ok)
        #expect(record.json?["object"] == "eventRecord")
        #expect(record.json?["status"] == "failed")
        #expect(record.json?["attempts"] == .int(8))
        #expect(record.json?["lastError"] == "boom")
        #expect(record.json?["processedAt"] == .null)
        #expect(record.json?["receivedAt"]?.stringValue.flatMap(Instant.init(rfc3339:)) != nil)
        #expect(try await harness.request("/events/evt_nope").status == .notFound)
        #expect(try await harness.request("/events/evt%2Fslash").status == .notFound)
    }

    @Test func failedEventsArePagedNewestFirst() async throws {
        let harness = try await APIHarness("api_events_failed")
        for number in 1...5 {
            try await harness.insertEvent(id: "evt_f\(number)", status: "failed", error: "e\(number)")
            try await harness.insertEvent(id: "evt_ok\(number)", status: "processed")
        }
        let first = try await harness.request("/events?status=failed&limit=2")
        #expect(first.ids == ["evt_f5", "evt_f4"])
        #expect(first.moreAfter == "evt_f4" && first.moreBefore == nil)
        let second = try await harness.request("/events?status=failed&limit=2&after=evt_f4")
        #expect(second.ids == ["evt_f3", "evt_f2"])
        #expect(second.moreBefore == "evt_f3")
        #expect(try await harness.request("/events?status=failed&limit=2&before=evt_f3").ids == ["evt_f5", "evt_f4"])
        #expect(try await harness.request("/events?status=failed").ids.count == 5)
        for query in ["", "?status=processed", "?status=failed&limit=0", "?status=failed&limit=201"] {
            let bad = try await harness.request("/events\(query)")
            #expect(bad.status == .unprocessableContent, "\(query)")
        }
    }

    @Test func retryingAFailedEventLeadsToProcessed() async throws {
        let harness = try await APIHarness("api_events_retry")
        let body = """
            {"object":"event","id":"evt_retry","type":"com.gigs.subscription.ended","time":"2025-12-20T10:00:00Z","project":"gigs",\
            "specversion":"1.0","source":"https://api.gigs.com","datacontenttype":"application/json",\
            "data":{"object":"subscription","id":"sub_r","status":"ended"}}
            """
        #expect((try? EventDecoder.decode(Array(body.utf8))) != nil, "the fixture must be a valid event")
        try await harness.insertEvent(id: "evt_retry", body: body, subscription: "sub_r", status: "failed",
                                      type: "com.gigs.subscription.ended", time: "2025-12-20T10:00:00Z", error: "boom")
        let retried = try await harness.request("/events/evt_retry/retry", method: .post)
        #expect(retried.status == .accepted)
        #expect(retried.json?["status"] == "pending")
        #expect(retried.json?["attempts"] == .int(0))
        #expect(retried.json?["lastError"] == .null)
        // A worker takes the now-due subscription.
        _ = try await harness.pool.withTransaction { try WorkQueue.processDue(limit: 10, on: $0) }
        let after = try await harness.request("/events/evt_retry")
        #expect(after.json?["status"] == "processed")
        #expect(after.json?["processedAt"] != .null)

        let again = try await harness.request("/events/evt_retry/retry", method: .post)
        #expect(again.status == .conflict)
        #expect(again.json?["code"] == "notFailed")
        #expect(try await harness.request("/events/evt_none/retry", method: .post).status == .notFound)
    }
}
