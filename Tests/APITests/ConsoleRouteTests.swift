import HTTPTypes
import Testing

/// `/console` hands out the page and its files without a token (the page sends the token to the
/// API itself), every permalink under it loads the page, and nothing may come from elsewhere.
@Suite struct ConsoleRouteTests {
    @Test func everyPermalinkServesThePageUnderAStrictPolicy() async throws {
        let harness = try await APIHarness("console_routes")
        for path in ["/console", "/console/subscriptions/gigs/sub_1", "/console/events", "/console/endpoints/gigs/we_1"] {
            let page = try await harness.request(path, token: nil)
            #expect(page.status == .ok, "\(path)")
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'self'") == true)
            #expect(page.body.contains(#"<script type="module" src="/console/assets/app.js">"#))
            // No inline script or style: the policy would block them.
            #expect(!page.body.contains("<script>") && !page.body.contains("style="))
        }
        let script = try await harness.request("/console/assets/app.js", token: nil)
        #expect(script.status == .ok && script.headers[.contentType] == "text/javascript; charset=utf-8")
        #expect(script.headers[.xContentTypeOptions] == "nosniff")
        for name in ["api.js", "pages.js", "timeline.js", "metrics.js", "console.css", "icon.svg"] {
            #expect(try await harness.request("/console/assets/\(name)", token: nil).status == .ok, "\(name)")
        }
        #expect(try await harness.request("/console/assets/nope.js", token: nil).status == .notFound)
        #expect(try await harness.request("/console", method: .post, token: nil).status == .methodNotAllowed)
    }

    /// The scripts reach nothing but this origin: no absolute URL in any of them.
    @Test func theScriptsNameNoOtherOrigin() async throws {
        let harness = try await APIHarness("console_origin")
        for name in ["app.js", "api.js", "pages.js", "timeline.js", "metrics.js", "console.css"] {
            let body = try await harness.request("/console/assets/\(name)", token: nil).body
            let absolute = body.ranges(of: "https://").count + body.ranges(of: "http://").count
            // The only one allowed: the SVG namespace, which is an identifier, not a request.
            #expect(absolute == body.ranges(of: "http://www.w3.org/2000/svg").count, "\(name)")
        }
    }
}
