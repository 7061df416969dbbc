import HTTPTypes
import Hummingbird

/// `GET /console` (SPEC §8): the operator console, a page and its scripts compiled into the binary.
/// It is a client of the JSON API like any other (the token it sends is checked there); these
/// routes only hand out files, so they need no token. Every path under `/console` that is not an
/// asset answers the page, so each permalink (`/console/subscriptions/{project}/{id}`) loads it.
public enum ConsoleRoutes {
    struct Asset: Sendable {
        let bytes: [UInt8]
        let contentType: String
    }

    static let page = Asset(bytes: PackageResources.console_html, contentType: "text/html; charset=utf-8")

    /// By file name under `/console/assets/`.
    static let assets: [String: Asset] = [
        "console.css": Asset(bytes: PackageResources.console_css, contentType: "text/css; charset=utf-8"),
        "app.js": Asset(bytes: PackageResources.app_js, contentType: "text/javascript; charset=utf-8"),
        "api.js": Asset(bytes: PackageResources.api_js, contentType: "text/javascript; charset=utf-8"),
        "metrics.js": Asset(bytes: PackageResources.metrics_js, contentType: "text/javascript; charset=utf-8"),
        "timeline.js": Asset(bytes: PackageResources.timeline_js, contentType: "text/javascript; charset=utf-8"),
        "pages.js": Asset(bytes: PackageResources.pages_js, contentType: "text/javascript; charset=utf-8"),
        "icon.svg": Asset(bytes: PackageResources.icon_svg, contentType: "image/svg+xml"),
    ]

    /// Nothing but this origin: no CDN, no inline script or style, no framing.
    static let securityPolicy = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

    public static func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("console") { _, _ in response(page) }
        router.get("console/**") { _, _ in response(page) }
        router.get("console/assets/{name}") { _, context in
            guard let name = context.parameters.get("name"), let asset = assets[name] else {
                return Response(status: .notFound, headers: headers(contentType: "text/plain; charset=utf-8"),
                                body: .init(byteBuffer: ByteBuffer(string: "no such console asset\n")))
            }
            return response(asset)
        }
    }

    static func headers(contentType: String) -> HTTPFields {
        [
            .contentType: contentType,
            .contentSecurityPolicy: securityPolicy,
            .xContentTypeOptions: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "no-referrer",
            // Small files compiled into the binary: revalidating is cheap, and an upgrade shows at once.
            .cacheControl: "no-cache",
        ]
    }

    static func response(_ asset: Asset) -> Response {
        Response(status: .ok, headers: headers(contentType: asset.contentType), body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}
