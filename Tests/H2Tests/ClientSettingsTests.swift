import H2
import NIOCore
import NIOPosix
import RPC
import Testing

/// The client connection is ready once the server's SETTINGS have arrived: the first call
/// already knows the server's limits, and a listener that never speaks HTTP/2 fails `connect`.
@Suite(.timeLimit(.minutes(1))) struct ClientSettingsTests {
    static let echo = MethodDescriptor(service: "test.Settings", method: "Echo")

    /// Before SETTINGS arrive nghttp2 assumes no header-list limit: a first call sent then was
    /// reset by the server (ENHANCE_YOUR_CALM), which says nothing of the cause. Every new
    /// connection's first call must be refused by name instead.
    @Test func theFirstCallOfEveryConnectionKnowsTheServersHeaderListLimit() async throws {
        var router = RPCRouter()
        router.registerRaw(Self.echo) { (payload, _) throws(RPCError) in payload }
        let server = try await H2Server.bind(host: "127.0.0.1", port: 0, router: router)
        let metadata = Metadata([("x-big", String(repeating: "a", count: 20_000))])
        for _ in 0..<20 {
            let connection = try await H2ClientConnection.connect(
                host: "127.0.0.1", port: server.localAddress.port!)
            await #expect {
                _ = try await connection.unary(
                    Self.echo, request: [1], options: CallOptions(metadata: metadata))
            } throws: { error in
                guard let error = error as? RPCError else { return false }
                return error.code == .resourceExhausted
                    && error.message.hasPrefix("the request's header list is 20")
                    && error.message.contains(
                        "the server accepts at most \(RPCLimits.default.headerListBytesMax) "
                            + "(its SETTINGS_MAX_HEADER_LIST_SIZE)")
            }
            await connection.close()
        }
        await server.shutdownGracefully()
    }

    @Test func aListenerThatNeverSpeaksHTTP2FailsConnect() async throws {
        // Accepts connections and never writes a byte.
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = listener.localAddress!.port!
        await #expect {
            _ = try await H2ClientConnection.connect(
                host: "127.0.0.1", port: port, connectTimeout: .milliseconds(200))
        } throws: { error in
            guard let error = error as? RPCError else { return false }
            return error.code == .unavailable
                && error.message.hasPrefix(
                    "cannot connect to 127.0.0.1:\(port): no HTTP/2 SETTINGS")
        }
        try await listener.close()
    }
}
