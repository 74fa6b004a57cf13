// swift-tools-version:6.1
// The grpc-swift-2 baseline of Benchmarks/rpc.sh: the same two methods as cashbackd
// (cashback.v1.Wallet/GetBalance, cashback.v1.Accruals/Accrue), served by grpc-swift-2 over its
// SwiftNIO HTTP/2 transport from an in-memory ledger. It is a package of its own, outside the root
// package and `make test`, because grpc-swift-2 and swift-nio-ssl take minutes to build. It
// depends on the root package by path to encode and decode messages with the same compact codec
// and generated types as cashbackd, so that only the RPC stack differs (README.md).
import PackageDescription

let package = Package(
    name: "GRPCBaseline",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Cashback", path: "../.."),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "grpc-baseline",
            dependencies: [
                // The generated message types and CompactCodec, and nothing of cashbackd's server.
                .product(name: "CashbackClient", package: "Cashback"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ]
)
