import H2
import RPC
import Testing

/// A handler's `retryPushback` reaches the client as `grpc-retry-pushback-ms`.
@Suite(.timeLimit(.minutes(1))) struct RetryPushbackTests {
    static let method = MethodDescriptor(service: "test.Pushback", method: "Fail")

    @Test(arguments: [
        RPCError.RetryPushback.retryAfter(.milliseconds(750)), .doNotRetry, nil,
    ] as [RPCError.RetryPushback?])
    func thePushbackTravelsWithTheStatus(_ pushback: RPCError.RetryPushback?) async throws {
        let sent = {
            var error = RPCError(.unavailable, "restarting")
            error.retryPushback = pushback
            return error
        }()
        var router = RPCRouter()
        router.registerRaw(Self.method) { (_, _) throws(RPCError) in throw sent }
        let server = try await H2Server.bind(host: "127.0.0.1", port: 0, router: router)
        let connection = try await H2ClientConnection.connect(
            host: "127.0.0.1", port: server.localAddress.port!)
        await #expect(throws: sent) {
            _ = try await connection.unary(Self.method, request: [], options: CallOptions())
        }
        await connection.close()
        await server.shutdownGracefully()
    }
}
