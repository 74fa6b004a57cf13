@testable import H2
import NIOCore
import NIOPosix
import RPC
import CashbackTestSupport
import Synchronization
import Testing

/// Deadlines, cancellation and graceful shutdown over a real loopback connection.
@Suite(.timeLimit(.minutes(1))) struct CallLifecycleTests {
    @Test func theServerEnforcesGRPCTimeoutAndCancelsTheHandler() async throws {
        let slow = try await SlowServer.start()
        let connection = try await H2ClientConnection.connect(host: "127.0.0.1", port: slow.port)
        // The deadline travels as a header only; the client arms no timer of its own, so the
        // answer can only come from the server.
        let options = CallOptions(metadata: Metadata([("grpc-timeout", "50m")]))
        await #expect {
            _ = try await connection.unary(SlowServer.method, request: [1], options: options)
        } throws: { ($0 as? RPCError)?.code == .deadlineExceeded }
        // On a loaded machine the deadline may expire before the request's DATA has arrived,
        // and then no handler ever ran. One that did was cancelled before the answer left, so
        // opening the gate now lets it finish and report what it saw.
        slow.release.open()
        if slow.entered.isOpen {
            await slow.finished.wait()
            #expect(slow.cancelled.isOpen)
        }
        await connection.close()
        await slow.server.shutdownGracefully()
    }

    @Test func theClientEnforcesItsOwnDeadline() async throws {
        let slow = try await SlowServer.start()
        let connection = try await H2ClientConnection.connect(host: "127.0.0.1", port: slow.port)
        await #expect {
            _ = try await connection.unary(
                SlowServer.method, request: [1], options: CallOptions(timeout: .milliseconds(50)))
        } throws: { ($0 as? RPCError)?.code == .deadlineExceeded }
        slow.release.open()
        await connection.close()
        await slow.server.shutdownGracefully()
    }

    /// A deadline already past (zero, negative, used up while connecting) fails the call
    /// without sending it: the server would run it, a write included, for nobody.
    @Test(arguments: [Duration.zero, .milliseconds(-5), .nanoseconds(-1)])
    func aCallWhoseDeadlineHasPassedIsNotSent(timeout: Duration) async throws {
        let slow = try await SlowServer.start()
        let connection = try await H2ClientConnection.connect(host: "127.0.0.1", port: slow.port)
        let sent = SentHeaders()
        await #expect {
            _ = try await connection.unary(
                SlowServer.method, request: [1],
                options: CallOptions(timeout: timeout, observer: sent))
        } throws: { ($0 as? RPCError)?.code == .deadlineExceeded }
        #expect(sent.count == 0)
        // The connection serves the next call.
        slow.release.open()
        let next = try await connection.unary(
            SlowServer.method, request: [7], options: CallOptions())
        #expect(next == [7])
        await connection.close()
        await slow.server.shutdownGracefully()
    }

    /// The client's socket finds a server that is gone without closing: TCP keepalive, and a
    /// bound on data left unacknowledged.
    @Test func aClientConnectionDetectsADeadServer() async throws {
        let slow = try await SlowServer.start()
        let connection = try await H2ClientConnection.connect(host: "127.0.0.1", port: slow.port)
        func option(_ level: NIOBSDSocket.OptionLevel, _ name: NIOBSDSocket.Option) async throws
            -> Int
        {
            try await connection.channel.getOption(
                ChannelOptions.Types.SocketOption(level: level, name: name)
            ).get()
        }
        #expect(try await option(.socket, .so_keepalive) != 0)
        #if os(Linux)
            let expected: [(Int32, Int)] = [
                (TCP_KEEPIDLE, DeadPeerDetection.keepaliveIdleSeconds),
                (TCP_KEEPINTVL, DeadPeerDetection.keepaliveIntervalSeconds),
                (TCP_KEEPCNT, DeadPeerDetection.keepaliveProbes),
                (TCP_USER_TIMEOUT, DeadPeerDetection.unacknowledgedMilliseconds),
            ]
            for (name, value) in expected {
                #expect(try await option(.tcp, NIOBSDSocket.Option(rawValue: name)) == value)
            }
        #endif
        await connection.close()
        await slow.server.shutdownGracefully()
    }

    /// An IPv6 address is written in brackets, `[::1]:1`, as `:authority` must be and as a
    /// reader of the error expects.
    @Test func anIPv6AddressIsBracketedInErrors() async {
        await #expect {
            _ = try await H2ClientConnection.connect(
                host: "::1", port: 1, connectTimeout: .seconds(5))
        } throws: { error in
            (error as? RPCError)?.message.hasPrefix("cannot connect to [::1]:1: ") == true
        }
    }

    @Test func cancellingTheCallerResetsTheStreamAndCancelsTheHandler() async throws {
        let slow = try await SlowServer.start()
        let connection = try await H2ClientConnection.connect(host: "127.0.0.1", port: slow.port)
        let call = Task {
            try await connection.unary(SlowServer.method, request: [1], options: CallOptions())
        }
        await slow.entered.wait()
        call.cancel()
        await #expect(throws: (any Error).self) { _ = try await call.value }
        // The client fails its call as soon as it has sent RST_STREAM; the server learns of it
        // a little later. The handler's wait ends on cancellation alone, so wait for that
        // before opening the gate (opened first, the handler could return normally).
        await slow.cancelled.wait()
        slow.release.open()
        // The connection serves the next call.
        #expect(try await connection.unary(SlowServer.method, request: [7], options: CallOptions()) == [7])
        await connection.close()
        await slow.server.shutdownGracefully()
    }

    @Test func gracefulShutdownFinishesCallsInFlightThenRefusesConnections() async throws {
        let slow = try await SlowServer.start()
        let port = slow.port
        let connection = try await H2ClientConnection.connect(host: "127.0.0.1", port: port)
        let call = Task {
            try await connection.unary(SlowServer.method, request: [42], options: CallOptions())
        }
        await slow.entered.wait()
        let shutdown = Task { await slow.server.shutdownGracefully() }
        slow.release.open()
        #expect(try await call.value == [42])
        await shutdown.value
        #expect(slow.server.connectionCount == 0)
        await #expect {
            _ = try await H2ClientConnection.connect(host: "127.0.0.1", port: port)
        } throws: { ($0 as? RPCError)?.code == .unavailable }
        await connection.close()
    }

    /// A handler whose caller has gone (cancelled, connection closed) still runs against what
    /// the server's owner will close after shutdown: shutdown waits for it.
    @Test func shutdownWaitsForAHandlerThatOutlivedItsConnection() async throws {
        let entered = Gate()
        let release = Gate()
        let handlerReturned = Atomic<Bool>(false)
        var router = RPCRouter()
        router.registerRaw(SlowServer.method) { (payload, _) throws(RPCError) in
            entered.open()
            // Deaf to cancellation, like a store write that must finish once begun.
            await Task { await release.wait() }.value
            handlerReturned.store(true, ordering: .sequentiallyConsistent)
            return payload
        }
        let server = try await H2Server.bind(host: "127.0.0.1", port: 0, router: router)
        let connection = try await H2ClientConnection.connect(
            host: "127.0.0.1", port: server.localAddress.port!)
        let call = Task {
            try await connection.unary(SlowServer.method, request: [1], options: CallOptions())
        }
        await entered.wait()
        call.cancel()
        await connection.close()
        await connection.waitUntilClosed()
        #expect(server.runningHandlerCount == 1)
        let shutdown = Task {
            await server.shutdownGracefully()
            return handlerReturned.load(ordering: .sequentiallyConsistent)
        }
        release.open()
        #expect(await shutdown.value)  // the handler had returned when shutdown did
        #expect(server.runningHandlerCount == 0)
    }

    @Test func shutdownCancelsHandlersStillRunningAfterTheGracePeriod() async throws {
        let slow = try await SlowServer.start()
        let connection = try await H2ClientConnection.connect(host: "127.0.0.1", port: slow.port)
        let call = Task {
            try await connection.unary(SlowServer.method, request: [1], options: CallOptions())
        }
        await slow.entered.wait()
        await slow.server.shutdownGracefully(gracePeriod: .zero)
        // The handler's wait ended on cancellation: shutdown returned only after it had.
        #expect(slow.cancelled.isOpen && slow.finished.isOpen)
        await #expect(throws: (any Error).self) { _ = try await call.value }
        await connection.close()
    }

    @Test(arguments: [
        ("127.0.0.1", 70_000, "port must be 1...65535, got 70000"),
        ("127.0.0.1", 0, "port must be 1...65535, got 0"),
        ("", 50_051, "host must be a name or an address"),
        ("a b", 50_051, "host must be a name or an address"),
    ])
    func connectArgumentsAreChecked(_ host: String, _ port: Int, _ message: String) async {
        await #expect {
            _ = try await H2ClientConnection.connect(host: host, port: port)
        } throws: {
            ($0 as? RPCError)?.code == .invalidArgument
                && ($0 as? RPCError)?.message.contains(message) == true
        }
    }

    @Test func callsOnAClosedConnectionFailUnavailable() async throws {
        let slow = try await SlowServer.start()
        let connection = try await H2ClientConnection.connect(host: "127.0.0.1", port: slow.port)
        await connection.close()
        await #expect {
            _ = try await connection.unary(SlowServer.method, request: [1], options: CallOptions())
        } throws: { ($0 as? RPCError)?.code == .unavailable }
        await slow.server.shutdownGracefully()
    }

    @Test func garbageInsteadOfAPrefaceClosesTheConnection() async throws {
        let slow = try await SlowServer.start()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: slow.port).get()
        try await channel.writeAndFlush(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        try await channel.closeFuture.get()  // the server closes it; nothing to wait on but that
        await slow.server.shutdownGracefully()
    }
}

/// Limits on connections and on hostile header values.
@Suite(.timeLimit(.minutes(1))) struct ConnectionLimitTests {
    @Test func aSilentConnectionIsClosedAfterTheIdleTimeout() async throws {
        var limits = RPCLimits.default
        limits.connectionIdleTimeout = .milliseconds(50)
        let server = try await H2Server.bind(
            host: "127.0.0.1", port: 0, router: RPCRouter(), limits: limits)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: server.localAddress.port!).get()
        try await channel.closeFuture.get()  // closed by the server, having sent nothing
        await server.shutdownGracefully()
    }

    @Test func anIdleClientConnectionIsClosedAndLaterCallsFailUnavailable() async throws {
        var limits = RPCLimits.default
        // Long enough that connecting never races the timer, even on a loaded machine; the
        // test waits for the close itself, not for a time.
        limits.connectionIdleTimeout = .seconds(1)
        var router = RPCRouter()
        router.registerRaw(SlowServer.method) { (payload, _) throws(RPCError) in payload }
        let server = try await H2Server.bind(
            host: "127.0.0.1", port: 0, router: router, limits: limits)
        let connection = try await H2ClientConnection.connect(
            host: "127.0.0.1", port: server.localAddress.port!)
        await connection.waitUntilClosed()
        await #expect {
            _ = try await connection.unary(SlowServer.method, request: [3], options: CallOptions())
        } throws: { ($0 as? RPCError)?.code == .unavailable }
        await server.shutdownGracefully()
    }

    @Test(arguments: ["99999999H", "99999999M", "99999999S", "1n"])
    func extremeTimeoutsNeitherTrapNorBreakTheServer(_ timeout: String) async throws {
        var router = RPCRouter()
        router.registerRaw(SlowServer.method) { (payload, _) throws(RPCError) in payload }
        let server = try await H2Server.bind(host: "127.0.0.1", port: 0, router: router)
        let connection = try await H2ClientConnection.connect(
            host: "127.0.0.1", port: server.localAddress.port!)
        let options = CallOptions(metadata: Metadata([("grpc-timeout", timeout)]))
        do {
            #expect(try await connection.unary(SlowServer.method, request: [5], options: options) == [5])
        } catch let error as RPCError {
            #expect(error.code == .deadlineExceeded)  // only the 1 ns deadline may expire
            #expect(timeout == "1n")
        }
        #expect(try await connection.unary(SlowServer.method, request: [6], options: CallOptions()) == [6])
        await connection.close()
        await server.shutdownGracefully()
    }
}

/// Counts the request header blocks a call sent.
private final class SentHeaders: RPCCallObserver {
    private let sent = Atomic(0)
    var count: Int { sent.load(ordering: .relaxed) }
    func didSendRequestHeaders(_ fields: [Metadata.Field], newConnection: RPCConnectionSetup?) {
        sent.add(1, ordering: .relaxed)
    }
    func didReceiveResponseHeaders(_ fields: [Metadata.Field]) {}
    func didReceiveTrailers(_ fields: [Metadata.Field]) {}
}
