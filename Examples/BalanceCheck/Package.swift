// swift-tools-version:6.1
// An app that uses the Cashback client library, as a newcomer's app would: it depends on the
// package by path (an app elsewhere names its URL and a version instead, README "The Swift
// client"). `make examples` builds it; `make test` does too.
import PackageDescription

let package = Package(
    name: "BalanceCheck",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Cashback", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "balance-check",
            dependencies: [.product(name: "CashbackClient", package: "Cashback")]
        ),
    ]
)
