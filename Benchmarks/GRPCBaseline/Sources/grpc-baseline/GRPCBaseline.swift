import ArgumentParser
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import NIOCore

/// `grpc-baseline`: serves GetBalance and Accrue with grpc-swift-2 over cleartext HTTP/2 (h2c),
/// the baseline that `Benchmarks/rpc.sh` measures cashbackd against.
///
/// ```sh
/// grpc-baseline --port 50061          # logs "listening on 127.0.0.1:50061" when ready
/// ```
///
/// It serves until SIGINT or SIGTERM ends the process (the default action of both: nothing is
/// kept, so nothing needs a graceful stop).
@main
struct GRPCBaseline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grpc-baseline",
        abstract: "grpc-swift-2 serving cashback.v1 GetBalance and Accrue from memory (h2c).",
        discussion: """
            The baseline of Benchmarks/rpc.sh: cashbackd's paths, messages and compact codec, \
            grpc-swift-2's RPC stack over SwiftNIO HTTP/2, a dictionary for a ledger. Accrue \
            credits a flat rate as pending, once per (merchant, order id); nothing is durable.
            """)

    @Option(help: "Address to listen on: an IPv4 or IPv6 literal.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one (the log line names it).")
    var port = 50061

    @Option(help: "Cashback credited on every new order, in basis points of its amount.")
    var rateBps: Int64 = 250

    func validate() throws {
        guard (0...65_535).contains(port) else {
            throw ValidationError("--port must be 0...65535, got \(port)")
        }
        guard (0...10_000).contains(rateBps) else {
            throw ValidationError("--rate-bps must be 0...10000 (100 %), got \(rateBps)")
        }
        guard (try? NIOCore.SocketAddress(ipAddress: host, port: port)) != nil else {
            throw ValidationError(
                "--host must be an IP literal such as 127.0.0.1 or ::1, got '\(host)'")
        }
    }

    func run() async throws {
        let address: GRPCNIOTransportCore.SocketAddress =
            host.contains(":") ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port)
        let transport = HTTP2ServerTransport.Posix(address: address, transportSecurity: .plaintext)
        let service = BaselineService(ledger: InMemoryLedger(rateBasisPoints: rateBps))
        let server = GRPCServer(transport: transport, services: [service])
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await server.serve() }
            let bound = try await transport.listeningAddress
            Self.log("listening on \(Self.describe(bound))")
        }
    }

    /// `127.0.0.1:50061` or `[::1]:50061`, as cashbackd names its address.
    private static func describe(_ address: GRPCNIOTransportCore.SocketAddress) -> String {
        if let ipv4 = address.ipv4 { return "\(ipv4.host):\(ipv4.port)" }
        if let ipv6 = address.ipv6 { return "[\(ipv6.host)]:\(ipv6.port)" }
        return String(describing: address)
    }

    /// One line on standard error, which is unbuffered: a script waiting for it sees it at once.
    private static func log(_ line: String) {
        FileHandle.standardError.write(Data("\(line)\n".utf8))
    }
}
