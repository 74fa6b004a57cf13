// swift-tools-version:6.1
// The package of the Cashback ledger service. Targets follow the layering of ARCHITECTURE.md: each
// depends only on the ones above it there; C libraries sit behind system-library targets of their
// own.
import PackageDescription

let package = Package(
    name: "Cashback",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cashbackd", targets: ["cashbackd"]),
        .executable(name: "cashback-probe", targets: ["cashback-probe"]),
        .executable(name: "rpcgen", targets: ["rpcgen"]),
        .library(name: "CashbackClient", targets: ["CashbackClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        // cashbackd's settings from flags, the environment and a JSON file, in that order.
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        // The probe's `bench` keeps its latencies in an HDR histogram (percentiles without
        // keeping every sample); apple's packages have none.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // cashbackd's metrics (README "Metrics and logs"): the swift-metrics API in the modules,
        // a Prometheus registry behind it, scraped on the admin listener.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // MARK: C libraries, each behind a thin wall
        .systemLibrary(
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),

        // MARK: Codec and generated API
        .target(name: "CompactCodec"),
        .target(name: "RPC", dependencies: ["CompactCodec"]),
        .target(name: "CashbackAPI", dependencies: ["CompactCodec", "RPC"]),

        // MARK: Transport
        .target(
            name: "H2",
            dependencies: [
                "CNGHTTP2", "COpenSSL",
                "RPC",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),

        // MARK: Domain and storage
        .target(name: "CashbackCore"),
        // The storage boundary: the repository protocol and its outcomes, free of any database
        // library, so that another implementation (PostgreSQL) can sit beside SQLite.
        .target(name: "CashbackRepository", dependencies: ["CashbackCore"]),
        .target(
            name: "CashbackStore",
            dependencies: [
                "CashbackCore", "CashbackRepository", "CompactCodec",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),

        // MARK: Server
        .target(
            name: "CashbackServer",
            dependencies: [
                "CashbackAPI", "CashbackCore", "CashbackRepository", "CashbackStore", "RPC", "H2",
                "COpenSSL",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "cashbackd",
            dependencies: [
                "CashbackServer", "CashbackAPI", "CashbackCore", "CashbackRepository",
                "CashbackStore", "RPC", "H2",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // MARK: Code generation
        .target(name: "RPCGenKit"),
        .executableTarget(
            name: "rpcgen",
            dependencies: [
                "RPCGenKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: Clients
        .target(
            name: "CashbackClient",
            dependencies: [
                "CashbackAPI", "RPC", "H2", "CompactCodec",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // connect(…, logger:) logs connects, disconnects, backoffs and retries.
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Clients/Swift/CashbackClient"
        ),
        .target(
            name: "ProbeKit",
            dependencies: [
                "CashbackClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Clients/Probe/ProbeKit"
        ),
        .executableTarget(
            name: "cashback-probe",
            dependencies: ["ProbeKit"],
            path: "Clients/Probe/cashback-probe"
        ),

        // MARK: Benchmarks
        // The store on its own, without RPC: preload, durable accruals, balance reads
        // (Benchmarks/README.md, "Store").
        .executableTarget(
            name: "cashback-storebench",
            dependencies: [
                "CashbackStore", "CashbackRepository", "CashbackCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/StoreBench"
        ),
        // What metrics and the access log cost one call, on one thread and on two at once
        // (Benchmarks/README.md, "Metrics and logs: what they cost").
        .executableTarget(
            name: "cashback-observerbench",
            dependencies: [
                "CashbackServer", "RPC",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Benchmarks/ObserverBench"
        ),

        // MARK: Tests
        .target(
            name: "CashbackTestSupport",
            dependencies: [
                "CashbackServer", "CashbackStore", "CashbackCore", "CashbackRepository", "H2", "RPC",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tests/CashbackTestSupport"
        ),
        .testTarget(name: "CompactCodecTests", dependencies: ["CompactCodec", "CashbackAPI"]),
        .testTarget(name: "RPCTests", dependencies: ["RPC"]),
        .testTarget(
            name: "H2Tests",
            dependencies: [
                "H2", "COpenSSL", "RPC", "CompactCodec", "CashbackTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "COpenSSLTests", dependencies: ["COpenSSL"]),
        .testTarget(name: "CashbackCoreTests", dependencies: ["CashbackCore"]),
        .testTarget(
            name: "CashbackStoreTests",
            dependencies: [
                "CashbackStore", "CashbackCore", "CashbackRepository",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(name: "RPCGenKitTests", dependencies: ["RPCGenKit"]),
        .testTarget(
            name: "CashbackServerTests",
            dependencies: [
                "CashbackServer", "CashbackClient", "CashbackAPI", "CashbackRepository", "H2", "RPC",
                "CashbackTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "StoreBenchTests",
            dependencies: [
                "cashback-storebench", "CashbackStore", "CashbackRepository", "CashbackCore",
            ]
        ),
        .testTarget(
            name: "CashbackdTests",
            dependencies: [
                "cashbackd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "CashbackClientTests",
            dependencies: [
                "CashbackClient", "H2", "RPC", "CashbackTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ProbeKitTests",
            dependencies: ["ProbeKit", "CashbackClient", "CashbackTestSupport", "H2"]),
    ]
)
