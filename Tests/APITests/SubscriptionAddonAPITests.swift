import Lifecycle
import EventFormat
import Testing

/// `GET /projects/{project}/subscriptionAddons[…]`: filters, cursors both ways, limits, 404s and
/// project isolation (SPEC §4).
@Suite(.timeLimit(.minutes(1)))
struct SubscriptionAddonAPITests {
    static let base = "/projects/gigs/subscriptionAddons"

    /// sad_1 … sad_n, oldest first; odd ones on sub_1 with add_japan, even ones on sub_2 with add_europe.
    static func harness(_ label: String, count: Int = 5) async throws -> APIHarness {
        let harness = try await APIHarness(label)
        for number in 1...count {
            try await harness.insertAddon(id: "sad_\(number)", subscription: number % 2 == 1 ? "sub_1" : "sub_2",
                                          addon: number % 2 == 1 ? "add_japan" : "add_europe",
                                          status: ["pending", "active", "ended"][number % 3])
        }
        return harness
    }

    @Test func theFirstPageIsNewestFirstWithTheDefaultLimit() async throws {
        let harness = try await Self.harness("api_addons_default", count: 12)
        let page = try await harness.request(Self.base)
        #expect(page.status == .ok)
        #expect(page.json?["object"] == "list")
        #expect(page.ids == (3...12).reversed().map { "sad_\($0)" })
        #expect(page.moreAfter == "sad_3")
        #expect(page.moreBefore == nil)
    }

    @Test func cursorsWalkBothWaysAndMeetInTheMiddle() async throws {
        let harness = try await Self.harness("api_addons_cursors", count: 7)
        let first = try await harness.request(Self.base + "?limit=3")
        #expect(first.ids == ["sad_7", "sad_6", "sad_5"])
        let second = try await harness.request(Self.base + "?limit=3&after=\(try #require(first.moreAfter))")
        #expect(second.ids == ["sad_4", "sad_3", "sad_2"])
        #expect(second.moreAfter == "sad_2" && second.moreBefore == "sad_4")
        let last = try await harness.request(Self.base + "?limit=3&after=sad_2")
        #expect(last.ids == ["sad_1"])
        #expect(last.moreAfter == nil && last.moreBefore == "sad_1")
        // Back again: the page just before sad_4 is the first page.
        let back = try await harness.request(Self.base + "?limit=3&before=\(try #require(second.moreBefore))")
        #expect(back.ids == ["sad_7", "sad_6", "sad_5"])
        #expect(back.moreBefore == nil && back.moreAfter == "sad_5")
        let between = try await harness.request(Self.base + "?after=sad_6&before=sad_2")
        #expect(between.ids == ["sad_5", "sad_4", "sad_3"])
    }

    @Test func pagesStayStableWhileNewAddOnsArrive() async throws {
        let harness = try await Self.harness("api_addons_stable", count: 4)
        let first = try await harness.request(Self.base + "?limit=2")
        #expect(first.ids == ["sad_4", "sad_3"])
        try await harness.insertAddon(id: "sad_new")
        let next = try await harness.request(Self.base + "?limit=2&after=sad_3")
        #expect(next.ids == ["sad_2", "sad_1"])
        #expect(try await harness.request(Self.base + "?limit=2&before=sad_4").ids == ["sad_new"])
    }

    @Test func filtersBySubscriptionAddonAndStatus() async throws {
        let harness = try await Self.harness("api_addons_filters", count: 6)
        #expect(try await harness.request(Self.base + "?subscription=sub_2").ids == ["sad_6", "sad_4", "sad_2"])
        #expect(try await harness.request(Self.base + "?addon=add_japan").ids == ["sad_5", "sad_3", "sad_1"])
        #expect(try await harness.request(Self.base + "?status=active").ids == ["sad_4", "sad_1"])
        #expect(try await harness.request(Self.base + "?subscription=sub_1&status=ended").ids == ["sad_5"])
        #expect(try await harness.request(Self.base + "?subscription=sub_none").ids == [])
        // Cursors and filters together: the next page of sub_2.
        let page = try await harness.request(Self.base + "?subscription=sub_2&limit=1")
        #expect(page.ids == ["sad_6"] && page.moreAfter == "sad_6")
        #expect(try await harness.request(Self.base + "?subscription=sub_2&limit=1&after=sad_6").ids == ["sad_4"])
    }

    @Test(arguments: [("0", false), ("1", true), ("200", true), ("201", false), ("ten", false), ("-1", false), ("", false)])
    func limitIsFrom1To200(limit: String, valid: Bool) async throws {
        let harness = try await Self.harness("api_addons_limit_\(limit.isEmpty ? "empty" : limit)", count: 3)
        let reply = try await harness.request(Self.base + "?limit=\(limit)")
        if valid {
            #expect(reply.status == .ok)
            #expect(reply.ids.count == min(Int(limit)!, 3))
        } else {
            #expect(reply.status == .unprocessableContent)
            #expect(reply.json?["type"] == "invalid")
            #expect(reply.json?["message"]?.stringValue?.hasPrefix("limit") == true)
        }
    }

    @Test func badParametersAreNamed() async throws {
        let harness = try await Self.harness("api_addons_badparams", count: 2)
        let status = try await harness.request(Self.base + "?status=expired")
        #expect(status.status == .unprocessableContent)
        #expect(status.json?["message"]?.stringValue?.hasPrefix("status") == true)
        let twice = try await harness.request(Self.base + "?limit=1&limit=2")
        #expect(twice.status == .unprocessableContent)
        let cursor = try await harness.request(Self.base + "?after=sad_unknown")
        #expect(cursor.status == .notFound)
        #expect(cursor.json?["message"]?.stringValue?.hasPrefix("after") == true)
        let nul = try await harness.request(Self.base + "?subscription=a%00b")
        #expect(nul.status == .ok && nul.ids.isEmpty)
    }

    @Test func oneAddOnItsHistoryAnd404s() async throws {
        let harness = try await Self.harness("api_addons_one", count: 2)
        let one = try await harness.request(Self.base + "/sad_2")
        #expect(one.status == .ok)
        #expect(one.json?["object"] == "subscriptionAddon")
        #expect(one.json?["status"] == "ended")
        #expect(one.json?["addon"]?["id"] == "add_europe")
        #expect(one.json?["currentPeriod"] == .null)
        let active = try await harness.request(Self.base + "/sad_1")
        #expect(active.json?["currentPeriod"]?["number"] == .int(1))
        #expect(active.json?["currentPeriod"]?["end"] == "2025-12-23T08:00:00Z")
        for path in [Self.base + "/sad_nope", Self.base + "/sad_nope/history", "/projects/gigs/subscriptionAddons/sad%00"] {
            let missing = try await harness.request(path)
            #expect(missing.status == .notFound, "\(path)")
            #expect(missing.json?["object"] == "error")
        }
    }

    @Test func anotherProjectSeesNothing() async throws {
        let harness = try await Self.harness("api_addons_isolation", count: 2)
        try await harness.insertAddon(project: "other", id: "sad_other")
        #expect(try await harness.request("/projects/other/subscriptionAddons").ids == ["sad_other"])
        #expect(try await harness.request("/projects/other/subscriptionAddons/sad_1").status == .notFound)
        #expect(try await harness.request("/projects/other/subscriptionAddons/sad_1/history").status == .notFound)
        #expect(try await harness.request(Self.base + "/sad_other").status == .notFound)
        // A cursor from another project names nothing here.
        #expect(try await harness.request(Self.base + "?after=sad_other").status == .notFound)
    }

    @Test func historyListsTheAddOnsFactsAndTransitionsInLogicalOrder() async throws {
        let harness = try await APIHarness("api_addons_history")
        try await harness.insertAddon(id: "sad_h", subscription: "sub_h", status: "active")
        let envelope = #""project":"gigs","specversion":"1.0","source":"https://api.gigs.com","datacontenttype":"application/json""#
        let created = """
            {"object":"event","id":"evt_h1","type":"com.gigs.subscriptionAddon.created","time":"2025-12-15T10:30:00Z",\(envelope),\
            "data":{"object":"subscriptionAddon","id":"sad_h","subscription":"sub_h","addon":{"object":"addon","id":"add_japan",\
            "name":"Japan","type":"topUp","activationTrigger":"usageStarted","coverage":{"object":"coverage","id":"cp_jp","countries":["JP"],"name":"Japan"},\
            "validity":{"unit":"day","value":7},"allowances":{"dataBytes":1000,"voiceSeconds":null,"smsMessages":null},"price":{"amount":499,"currency":"USD"}}}}
            """
        let otherAddon = created.replacingOccurrences(of: "evt_h1", with: "evt_h0").replacingOccurrences(of: "\"id\":\"sad_h\"", with: "\"id\":\"sad_x\"")
        let usage = """
            {"object":"event","id":"evt_h2","type":"com.gigs.usage.started","time":"2025-12-16T08:00:00Z",\(envelope),\
            "data":{"subscription":"sub_h","country":"JP","kind":"data"}}
            """
        try await harness.insertEvent(id: "evt_h2", body: usage, subscription: "sub_h", status: "processed", type: "com.gigs.usage.started", time: "2025-12-16T08:00:00Z")
        try await harness.insertEvent(id: "evt_h1", body: created, subscription: "sub_h", status: "processed", type: "com.gigs.subscriptionAddon.created")
        try await harness.insertEvent(id: "evt_h0", body: otherAddon, subscription: "sub_h", status: "processed", type: "com.gigs.subscriptionAddon.created")
        try await harness.pool.withConnection { connection in
            try connection.query("""
                INSERT INTO transitions (project, subscription_addon, subscription, kind, at)
                VALUES ('gigs', 'sad_h', 'sub_h', 'activated', '2025-12-16T08:00:00Z')
                """)
        }
        let history = try await harness.request(Self.base + "/sad_h/history")
        #expect(history.status == .ok)
        #expect(history.json?["subscriptionAddon"]?["id"] == "sad_h")
        let items = history.json?["items"]?.arrayValue ?? []
        #expect(items.map { $0["object"]?.stringValue ?? "?" } == ["fact", "fact", "transition"])
        #expect(items.compactMap { $0["event"]?.stringValue } == ["evt_h1", "evt_h2"])
        #expect(items.last?["kind"] == "activated")
        #expect(items.last?["time"] == "2025-12-16T08:00:00Z")
    }
}
