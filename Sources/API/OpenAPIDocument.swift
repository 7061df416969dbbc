import Hummingbird

/// `GET /openapi.yaml`: the document in `Sources/API/openapi.yaml`, compiled in so the binary
/// always serves the description of its own routes (a test checks the two agree).
public enum OpenAPIDocument {
    public static let yaml: [UInt8] = PackageResources.openapi_yaml

    static func register<Context: RequestContext>(on group: RouterGroup<Context>) {
        group.get("openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(bytes: yaml)))
        }
    }
}
