import CashbackTestSupport
import Foundation
import H2
import NIOCore
import NIOPosix
import RPC
import Testing

/// TLS between the real server and client over loopback: verification, names, mutual TLS,
/// the handshake timeout and reloads.
@Suite(.timeLimit(.minutes(1))) struct TLSConnectionTests {
    static func echoServer(_ configuration: TLSServerConfiguration) async throws
        -> (H2Server, TLSServerCredentials)
    {
        var router = RPCRouter()
        router.registerRaw(SlowServer.method) { (payload, _) throws(RPCError) in payload }
        let credentials = try TLSServerCredentials(configuration)
        let server = try await H2Server.bind(
            host: "127.0.0.1", port: 0, router: router, tls: credentials)
        return (server, credentials)
    }

    static func echo(_ payload: [UInt8], port: Int, tls: TLSClientConfiguration) async throws
        -> [UInt8]
    {
        let connection = try await H2ClientConnection.connect(
            host: "127.0.0.1", port: port, tls: tls)
        defer { Task { await connection.close() } }
        return try await connection.unary(SlowServer.method, request: payload, options: .init())
    }

    /// The message of the RPCError that `body` throws.
    static func failure(_ body: () async throws -> Void) async -> String {
        do {
            try await body()
            return "no failure"
        } catch let error as RPCError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func callsCrossTLSInBothDirections() async throws {
        let certificates = try TestCertificates.shared()
        let (server, _) = try await Self.echoServer(certificates.server())
        let port = server.localAddress.port!
        #expect(try await Self.echo([1, 2, 3], port: port, tls: certificates.client()) == [1, 2, 3])
        // Larger than a TLS record and than the handler's early-write threshold.
        let large = (0..<(300 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(try await Self.echo(large, port: port, tls: certificates.client()) == large)
        // The certificate names localhost too.
        let byName = certificates.client(serverName: "localhost")
        #expect(try await Self.echo([4], port: port, tls: byName) == [4])
        await server.shutdownGracefully()
    }

    @Test func anUntrustedOrMisnamedServerIsRefusedWithTheReason() async throws {
        let certificates = try TestCertificates.shared()
        let (server, _) = try await Self.echoServer(certificates.server())
        let port = server.localAddress.port!
        let untrusted = await Self.failure {
            _ = try await Self.echo([1], port: port, tls: TLSClientConfiguration())
        }
        #expect(untrusted.contains("the server's certificate was not accepted"))
        let misnamed = await Self.failure {
            _ = try await Self.echo(
                [1], port: port, tls: certificates.client(serverName: "ledger.example"))
        }
        #expect(misnamed.contains("the server's certificate was not accepted"))
        #expect(misnamed.contains("mismatch"))
        // Without verification (a self-signed development certificate) the call goes through.
        let insecure = TLSClientConfiguration(verifiesServer: false)
        #expect(try await Self.echo([5], port: port, tls: insecure) == [5])
        await server.shutdownGracefully()
    }

    @Test func mutualTLSAdmitsOnlyClientsTheCASigned() async throws {
        let certificates = try TestCertificates.shared()
        let (server, _) = try await Self.echoServer(
            certificates.server(clientCA: "ca.pem"))
        let port = server.localAddress.port!
        let admitted = certificates.client(identity: "client")
        #expect(try await Self.echo([1], port: port, tls: admitted) == [1])
        // With TLS 1.3 the client may finish its handshake before the server refuses it; the
        // refusal then fails the first call.
        for identity in ["other-client", nil] {
            await #expect(throws: RPCError.self) {
                _ = try await Self.echo([1], port: port, tls: certificates.client(identity: identity))
            }
        }
        await server.shutdownGracefully()
    }

    @Test func aSilentClientIsDisconnectedAfterTheHandshakeTimeout() async throws {
        let certificates = try TestCertificates.shared()
        let (server, _) = try await Self.echoServer(
            certificates.server(handshakeTimeout: .milliseconds(50)))
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: server.localAddress.port!).get()
        try await channel.closeFuture.get()  // closed by the server, having sent nothing
        await server.shutdownGracefully()
    }

    @Test func aFailedReloadKeepsTheCertificateInUse() async throws {
        let certificates = try TestCertificates.shared()
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("cashback-reload-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true)
        for name in ["server.pem", "server.key"] {
            try FileManager.default.copyItem(
                atPath: certificates.path(name), toPath: directory + "/" + name)
        }
        let (server, credentials) = try await Self.echoServer(
            TLSServerConfiguration(
                certificateChainPath: directory + "/server.pem",
                privateKeyPath: directory + "/server.key"))
        let port = server.localAddress.port!
        let open = try await H2ClientConnection.connect(
            host: "127.0.0.1", port: port, tls: certificates.client())
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: directory + "/server.pem"))
        #expect(throws: TLSError.self) { try credentials.reload() }
        // The open connection and new ones carry on with the certificate loaded at the start.
        #expect(try await open.unary(SlowServer.method, request: [1], options: .init()) == [1])
        #expect(try await Self.echo([2], port: port, tls: certificates.client()) == [2])
        // A good reload serves new connections; the open one is untouched.
        for name in ["server.pem", "server.key"] {
            let next = certificates.path(name.replacingOccurrences(of: "server", with: "server-next"))
            try FileManager.default.removeItem(atPath: directory + "/" + name)
            try FileManager.default.copyItem(atPath: next, toPath: directory + "/" + name)
        }
        try credentials.reload()
        #expect(try await Self.echo([3], port: port, tls: certificates.client()) == [3])
        #expect(try await open.unary(SlowServer.method, request: [4], options: .init()) == [4])
        await open.close()
        await server.shutdownGracefully()
    }
}
