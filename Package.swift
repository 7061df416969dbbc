// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "addon-lifecycle",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "addon-lifecycle", targets: ["addon-lifecycle"]),
        .executable(name: "addon-lifecycle-bench", targets: ["addon-lifecycle-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
    ],
    targets: [
        // libpq, from Debian's libpq-dev. The only C we link.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // Child processes on swift-subprocess: the one way the package runs another program.
        .target(
            name: "Processes",
            dependencies: [
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // Standard Webhooks: secrets, signing and verifying (`webhook-signature`).
        .target(name: "StandardWebhooks", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // The only module that touches libpq: connections on dedicated threads, rows, pool, LISTEN/NOTIFY.
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ",
                "Processes",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The rules of SPEC §3 and nothing else: facts, the fold, schedules, states, transitions. Imports nothing.
        .target(name: "Lifecycle"),
        // Bytes to facts: the strict JSON reader, envelope and payload decoding, decoding failures.
        .target(name: "EventFormat", dependencies: ["Lifecycle"]),
        // The replay log of a file and its indexes: what `replay` folds.
        .target(name: "Replay", dependencies: ["Lifecycle", "EventFormat"]),
        // SQL of the inbox, work rows, state, transitions; the migrations runner.
        .target(
            name: "Store",
            dependencies: [
                "Postgres",
                "Lifecycle",
                "EventFormat",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.embedInCode("Migrations")]
        ),
        // HTTP: signed webhooks in (group commit), errors as the provider's error object.
        .target(
            name: "Ingest",
            dependencies: [
                "Store",
                "Lifecycle",
                "EventFormat",
                "Postgres",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                "StandardWebhooks",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // The operator console (SPEC §8): a page, its styles and script modules, compiled in.
        .target(
            name: "Console",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            resources: [
                .embedInCode("console.html"), .embedInCode("console.css"), .embedInCode("app.js"), .embedInCode("api.js"),
                .embedInCode("metrics.js"), .embedInCode("timeline.js"), .embedInCode("pages.js"), .embedInCode("icon.svg"),
            ]
        ),
        // The read and operator API (SPEC §4, §6 endpoints), health, metrics and the OpenAPI document.
        .target(
            name: "API",
            dependencies: [
                "Console",
                "Ingest",
                "Delivery",
                "Replay",
                "StandardWebhooks",
                "Lifecycle",
                "EventFormat",
                "Postgres",
                "Store",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.embedInCode("openapi.yaml")]
        ),
        // The worker actors: claim due subscriptions, fold, write state, outbox entries and timers.
        .target(
            name: "Worker",
            dependencies: [
                "Store",
                "Lifecycle",
                "Postgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Outbound delivery as a Service: claim due messages, sign, POST, record the attempts.
        .target(
            name: "Delivery",
            dependencies: [
                "Store",
                "Postgres",
                "StandardWebhooks",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "addon-lifecycle",
            dependencies: [
                "API",
                "Ingest",
                "Worker",
                "Delivery",
                "Postgres",
                "Store",
                "Lifecycle",
                "EventFormat",
                "Replay",
                "StandardWebhooks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Helpers the database tests share: a fresh database per suite on the test server.
        .target(
            name: "TestSupport",
            dependencies: ["Postgres", "Processes", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport"
        ),
        // Load generators and measurements; prints figures, never part of `swift test`.
        .executableTarget(
            name: "addon-lifecycle-bench",
            dependencies: [
                "Postgres",
                "Ingest",
                "Store",
                "Lifecycle",
                "EventFormat",
                "Replay",
                "Processes",
                "StandardWebhooks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "PostgresTests",
            dependencies: ["Postgres", "TestSupport", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Postgres", "TestSupport"]),
        .testTarget(
            name: "IngestTests",
            dependencies: [
                "Ingest", "Store", "Postgres", "Lifecycle", "EventFormat", "TestSupport", "StandardWebhooks",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(
            name: "APITests",
            dependencies: [
                "API", "Ingest", "Store", "Postgres", "Lifecycle", "EventFormat", "TestSupport", "StandardWebhooks", "Processes", "LifecycleFixtures",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(
            name: "WorkerTests",
            dependencies: [
                "Worker", "Ingest", "Store", "Postgres", "Lifecycle", "EventFormat", "TestSupport", "Processes", "LifecycleFixtures", "StandardWebhooks",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // Realistic webhook bodies and add-ons (seed 002) for the tests of the rules, the decoder and replay.
        .target(name: "LifecycleFixtures", dependencies: ["Lifecycle", "EventFormat"], path: "Tests/LifecycleFixtures"),
        .testTarget(
            name: "DeliveryTests",
            dependencies: [
                "Delivery", "API", "Ingest", "Store", "Postgres", "Lifecycle", "EventFormat", "StandardWebhooks", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "LifecycleTests",
            dependencies: ["Lifecycle", "EventFormat", "LifecycleFixtures", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "EventFormatTests",
            dependencies: ["EventFormat", "Lifecycle", "LifecycleFixtures", "Replay", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(name: "ReplayTests", dependencies: ["Replay", "EventFormat", "Lifecycle", "LifecycleFixtures"]),
    ],
    swiftLanguageModes: [.v6]
)
