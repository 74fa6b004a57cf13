import CashbackTestSupport
import H2
import NIOConcurrencyHelpers
import RPC
import Testing

/// `CallOptions.observer` over a real loopback connection: the request's header block as sent,
/// the response headers and trailers as received, and the connection's set-up reported to the
/// first call only.
@Suite(.timeLimit(.minutes(1))) struct CallObserverTests {
    static let echo = MethodDescriptor(service: "test.Echo", method: "Echo")
    static let refuse = MethodDescriptor(service: "test.Echo", method: "Refuse")

    /// Every callback in the order it came.
    final class Recorder: RPCCallObserver {
        enum Event: Equatable {
            case request([Metadata.Field], RPCConnectionSetup?)
            case headers([Metadata.Field])
            case trailers([Metadata.Field])
        }

        let events = NIOLockedValueBox<[Event]>([])

        func didSendRequestHeaders(_ fields: [Metadata.Field], newConnection: RPCConnectionSetup?) {
            events.withLockedValue { $0.append(.request(fields, newConnection)) }
        }

        func didReceiveResponseHeaders(_ fields: [Metadata.Field]) {
            events.withLockedValue { $0.append(.headers(fields)) }
        }

        func didReceiveTrailers(_ fields: [Metadata.Field]) {
            events.withLockedValue { $0.append(.trailers(fields)) }
        }
    }

    static func startServer() async throws -> H2Server {
        var router = RPCRouter()
        router.registerRaw(echo) { (payload, _) throws(RPCError) in payload }
        router.registerRaw(refuse) { (_, _) throws(RPCError) in
            throw RPCError(.notFound, "no such thing — really")
        }
        return try await H2Server.bind(host: "127.0.0.1", port: 0, router: router)
    }

    static func pairs(_ fields: [Metadata.Field]) -> [String] {
        fields.map { "\($0.name): \($0.value)" }
    }

    @Test func aCallReportsItsRequestHeadersResponseHeadersAndTrailersInOrder() async throws {
        let server = try await Self.startServer()
        let port = server.localAddress.port!
        let connection = try await H2ClientConnection.connect(host: "127.0.0.1", port: port)
        let recorder = Recorder()
        let options = CallOptions(
            timeout: .seconds(5), metadata: Metadata([("x-trace", "t1")]), observer: recorder)
        #expect(try await connection.unary(Self.echo, request: [1, 2], options: options) == [1, 2])

        let events = recorder.events.withLockedValue { $0 }
        try #require(events.count == 3, "\(events)")
        guard case .request(let sent, let setup) = events[0],
            case .headers(let headers) = events[1], case .trailers(let trailers) = events[2]
        else {
            Issue.record("events out of order: \(events)")
            return
        }
        #expect(
            Self.pairs(sent) == [
                ":method: POST", ":scheme: http", ":path: /test.Echo/Echo",
                ":authority: 127.0.0.1:\(port)", "content-type: application/grpc+compact",
                "te: trailers", "grpc-timeout: \(GRPCTimeout.format(.seconds(5)))", "x-trace: t1",
            ])
        // The first call on the connection carries its set-up: cleartext, so no handshake.
        let connected = try #require(setup)
        #expect(connected.connect > .zero && connected.tlsHandshake == nil)
        #expect(Self.pairs(headers).contains(":status: 200"))
        #expect(Self.pairs(trailers) == ["grpc-status: 0"])

        // A second call on the same connection did not open it.
        let second = Recorder()
        _ = try await connection.unary(Self.echo, request: [3], options: CallOptions(observer: second))
        guard case .request(_, let reused)? = second.events.withLockedValue({ $0.first }) else {
            Issue.record("no request event: \(second.events.withLockedValue { $0 })")
            return
        }
        #expect(reused == nil)
        await connection.close()
        await server.shutdownGracefully()
    }

    @Test func anErrorAnsweredTrailersOnlyReportsTrailersAlone() async throws {
        let server = try await Self.startServer()
        let connection = try await H2ClientConnection.connect(
            host: "127.0.0.1", port: server.localAddress.port!)
        let recorder = Recorder()
        await #expect {
            _ = try await connection.unary(
                Self.refuse, request: [], options: CallOptions(observer: recorder))
        } throws: { ($0 as? RPCError)?.code == .notFound }
        let events = recorder.events.withLockedValue { $0 }
        try #require(events.count == 2, "\(events)")
        guard case .trailers(let trailers) = events[1] else {
            Issue.record("the second event is not the trailers: \(events)")
            return
        }
        let names = trailers.map(\.name)
        #expect(names.contains(":status") && names.contains("grpc-status"))
        #expect(Self.pairs(trailers).contains("grpc-status: 5"))
        // As sent: percent-encoded (gRPC's grpc-message encoding).
        #expect(Self.pairs(trailers).contains("grpc-message: no such thing %E2%80%94 really"))
        await connection.close()
        await server.shutdownGracefully()
    }

    @Test func overTLSTheSetUpHasTheHandshake() async throws {
        let certificates = try TestCertificates.shared()
        var router = RPCRouter()
        router.registerRaw(Self.echo) { (payload, _) throws(RPCError) in payload }
        let server = try await H2Server.bind(
            host: "127.0.0.1", port: 0, router: router,
            tls: try TLSServerCredentials(certificates.server()))
        let connection = try await H2ClientConnection.connect(
            host: "127.0.0.1", port: server.localAddress.port!,
            tls: TLSClientConfiguration(trustRootsPath: certificates.path("ca.pem")))
        let recorder = Recorder()
        _ = try await connection.unary(Self.echo, request: [1], options: CallOptions(observer: recorder))
        guard case .request(let sent, let setup)? = recorder.events.withLockedValue({ $0.first }) else {
            Issue.record("no request event")
            return
        }
        #expect(Self.pairs(sent).contains(":scheme: https"))
        let handshake = try #require(setup?.tlsHandshake)
        #expect(handshake > .zero)
        await connection.close()
        await server.shutdownGracefully()
    }
}
