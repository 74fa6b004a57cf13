@testable import H2
import Logging
import NIOCore
import NIOConcurrencyHelpers
import NIOEmbedded
import RPC
import Testing

/// A server connection and a client connection on one `EmbeddedEventLoop`, their bytes moved
/// by hand: nothing runs unless the test says so, and time moves only with `advanceTime`.
private final class EmbeddedConnectionPair {
    let loop = EmbeddedEventLoop()
    let calls = ServerCalls()
    let server: EmbeddedChannel
    let client: EmbeddedChannel
    let clientHandler: H2ClientConnectionHandler
    /// Set when the server's GOAWAY reaches the client.
    let clientHeardGoaway = NIOLockedValueBox(false)
    private var nextToken: UInt64 = 0

    init(router: RPCRouter, limits: RPCLimits = .default) throws {
        server = EmbeddedChannel(
            handler: H2ServerConnectionHandler(
                router: router, limits: limits, calls: calls, logger: Logger(label: "test")),
            loop: loop)
        clientHandler = H2ClientConnectionHandler(
            limits: .default, authority: "test", scheme: "http", goingAway: clientHeardGoaway)
        client = EmbeddedChannel(handler: clientHandler, loop: loop)
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 1)
        try server.connect(to: address).wait()
        try client.connect(to: address).wait()
        try exchange()
    }

    /// Moves bytes both ways, running what the loop has queued, until nothing moves.
    func exchange() throws {
        var moved = true
        while moved {
            moved = false
            loop.run()
            while let bytes = try client.readOutbound(as: ByteBuffer.self) {
                try server.writeInbound(bytes)
                moved = true
            }
            while let bytes = try server.readOutbound(as: ByteBuffer.self) {
                try client.writeInbound(bytes)
                moved = true
            }
        }
    }

    /// Starts a unary call on the client; its request bytes wait in the client's outbound.
    func startCall(
        _ method: MethodDescriptor, request: [UInt8], metadata: Metadata = Metadata()
    ) -> EventLoopFuture<[UInt8]> {
        let promise = loop.makePromise(of: [UInt8].self)
        nextToken += 1
        clientHandler.startCall(
            method, request: request, options: CallOptions(metadata: metadata), token: nextToken,
            promise: promise)
        return promise.futureResult
    }

    func finish() throws {
        _ = try? client.finish()
        _ = try? server.finish()
    }
}

/// Watches one future's result without blocking.
private final class Outcome<T> {
    var result: Result<T, any Error>?
    init(_ future: EventLoopFuture<T>) {
        future.whenComplete { self.result = $0 }
    }
    var rpcErrorCode: RPCStatusCode? {
        guard case .failure(let error) = result else { return nil }
        return (error as? RPCError)?.code
    }
}

@Suite struct EmbeddedConnectionTests {
    static let echo = MethodDescriptor(service: "test.Embedded", method: "Echo")
    static let wait = MethodDescriptor(service: "test.Embedded", method: "Wait")

    /// Echo answers at once; Wait sleeps until cancelled and counts the cancellations.
    static func router(cancellations: Counter) -> RPCRouter {
        var router = RPCRouter()
        router.registerRaw(echo) { request, _ in request }
        router.registerRaw(wait) { (_, _) throws(RPCError) in
            do {
                try await Task.sleep(for: .seconds(3600))
            } catch {
                cancellations.value += 1
                throw RPCError(.cancelled, "cancelled")
            }
            return []
        }
        return router
    }

    final class Counter: @unchecked Sendable {  // touched only on the embedded loop's thread
        var value = 0
    }

    @Test func aHandlerThatNeverSuspendsAnswersWithinTheReadThatCompletedItsRequest() throws {
        let pair = try EmbeddedConnectionPair(router: Self.router(cancellations: Counter()))
        defer { try? pair.finish() }
        let call = Outcome(pair.startCall(Self.echo, request: [1, 2, 3]))
        pair.loop.run()
        let request = try #require(try pair.client.readOutbound(as: ByteBuffer.self))
        try pair.server.writeInbound(request)
        // No loop.run(): the handler ran on the read's own stack, and the read's end wrote
        // its answer.
        let answer = try #require(try pair.server.readOutbound(as: ByteBuffer.self))
        try pair.client.writeInbound(answer)
        try pair.exchange()
        #expect(try call.result?.get() == [1, 2, 3])
        #expect(pair.calls.count == 0)
    }

    @Test func manyCallsInOneReadLeaveInOneWrite() throws {
        let pair = try EmbeddedConnectionPair(router: Self.router(cancellations: Counter()))
        defer { try? pair.finish() }
        let calls = (0..<5).map { Outcome(pair.startCall(Self.echo, request: [UInt8($0)])) }
        pair.loop.run()
        var requests = pair.client.allocator.buffer(capacity: 0)
        while var bytes = try pair.client.readOutbound(as: ByteBuffer.self) {
            requests.writeBuffer(&bytes)
        }
        try pair.server.writeInbound(requests)
        var writes = 0
        while let answer = try pair.server.readOutbound(as: ByteBuffer.self) {
            writes += 1
            try pair.client.writeInbound(answer)
        }
        #expect(writes == 1)
        try pair.exchange()
        for (index, call) in calls.enumerated() {
            #expect(try call.result?.get() == [UInt8(index)])
        }
    }

    @Test func deadlinesFireInOrderOnTheConnectionsOneTimer() throws {
        let cancellations = Counter()
        let pair = try EmbeddedConnectionPair(router: Self.router(cancellations: cancellations))
        defer { try? pair.finish() }
        let timeouts = ["200m", "50m", "100m"]
        let calls = timeouts.map {
            Outcome(
                pair.startCall(Self.wait, request: [0], metadata: Metadata([("grpc-timeout", $0)])))
        }
        try pair.exchange()
        #expect(pair.calls.count == 3)

        pair.loop.advanceTime(by: .milliseconds(49))
        try pair.exchange()
        #expect(calls.allSatisfy { $0.result == nil })

        pair.loop.advanceTime(by: .milliseconds(1))
        try pair.exchange()
        #expect(calls[1].rpcErrorCode == .deadlineExceeded)
        #expect(calls[0].result == nil)
        #expect(calls[2].result == nil)
        #expect(cancellations.value == 1)

        pair.loop.advanceTime(by: .milliseconds(50))
        try pair.exchange()
        #expect(calls[2].rpcErrorCode == .deadlineExceeded)
        #expect(calls[0].result == nil)

        pair.loop.advanceTime(by: .milliseconds(100))
        try pair.exchange()
        #expect(calls[0].rpcErrorCode == .deadlineExceeded)
        #expect(cancellations.value == 3)
        #expect(pair.calls.count == 0)
    }

    /// Every call's end as a router's observer sees it: the method and the status.
    final class EndedCalls: RPCServerCallObserver, RPCMethodObserver, @unchecked Sendable {
        // Used on the embedded loop's one thread.
        var codes: [RPCStatusCode] = []
        func observer(of method: MethodDescriptor) -> any RPCMethodObserver { self }
        func observerOfUnknownMethods() -> any RPCMethodObserver { self }
        func callEnded(_ context: RPCServerContext, code: RPCStatusCode, duration: Duration) {
            codes.append(code)
        }
    }

    /// A call already past its deadline when its request ends (`0S`) is answered
    /// DEADLINE_EXCEEDED without running its handler, and observed as such; the next call runs
    /// as usual.
    @Test func aCallPastItsDeadlineIsNotStarted() throws {
        let runs = Counter()
        let ended = EndedCalls()
        var router = RPCRouter(observer: ended)
        router.registerRaw(Self.echo) { request, _ in
            runs.value += 1
            return request
        }
        let pair = try EmbeddedConnectionPair(router: router)
        defer { try? pair.finish() }
        let late = Outcome(
            pair.startCall(Self.echo, request: [1], metadata: Metadata([("grpc-timeout", "0S")])))
        try pair.exchange()
        #expect(late.rpcErrorCode == .deadlineExceeded)
        #expect(runs.value == 0)
        let next = Outcome(pair.startCall(Self.echo, request: [2]))
        try pair.exchange()
        #expect(try next.result?.get() == [2])
        #expect(runs.value == 1)
        #expect(ended.codes == [.deadlineExceeded, .ok])
    }

    /// The idle timeout counts from the end of the last call, not from the connection's start,
    /// and a call open past it keeps the connection.
    @Test func theIdleClockStartsWhenTheLastCallEnds() throws {
        var limits = RPCLimits.default
        limits.connectionIdleTimeout = .seconds(10)
        let pair = try EmbeddedConnectionPair(
            router: Self.router(cancellations: Counter()), limits: limits)
        defer { try? pair.finish() }
        pair.loop.advanceTime(by: .seconds(6))
        let first = Outcome(pair.startCall(Self.echo, request: [1]))
        try pair.exchange()
        #expect(try first.result?.get() == [1])
        // 10 s after the start, 4 s after the call.
        pair.loop.advanceTime(by: .seconds(4))
        try pair.exchange()
        #expect(!pair.clientHeardGoaway.withLockedValue { $0 })

        // A call that stays open across the timeout (it ends at its 20 s deadline).
        let waiting = Outcome(
            pair.startCall(Self.wait, request: [0], metadata: Metadata([("grpc-timeout", "20S")])))
        try pair.exchange()
        pair.loop.advanceTime(by: .seconds(15))
        try pair.exchange()
        #expect(waiting.result == nil)
        #expect(!pair.clientHeardGoaway.withLockedValue { $0 })

        // It ends at 30 s; the connection is idle from then on, and closes 10 s later.
        pair.loop.advanceTime(by: .seconds(5))
        try pair.exchange()
        #expect(waiting.rpcErrorCode == .deadlineExceeded)
        pair.loop.advanceTime(by: .seconds(9))
        try pair.exchange()
        #expect(!pair.clientHeardGoaway.withLockedValue { $0 })
        pair.loop.advanceTime(by: .seconds(1))
        try pair.exchange()
        #expect(pair.clientHeardGoaway.withLockedValue { $0 })
    }

    /// A pair whose server must close while its channel takes no writes: the client stopped
    /// reading, then sent a second PING, one strike too many (GOAWAY(ENHANCE_YOUR_CALM) is
    /// queued in nghttp2, and the flush after the read cannot hand it over). With `glitches`,
    /// the second PING is instead one glitch too many, and nghttp2 terminates the session.
    fileprivate static func pairClosingWhileThePeerDoesNotRead(
        glitches: Bool = false
    ) throws -> EmbeddedConnectionPair {
        var limits = RPCLimits.default
        if glitches {
            limits.glitchBurstMax = 1
        } else {
            limits.pingStrikesMax = 0
        }
        let pair = try EmbeddedConnectionPair(
            router: Self.router(cancellations: Counter()), limits: limits)
        pair.server.isWritable = false
        try pair.server.writeInbound(ByteBuffer(bytes: Self.ping + Self.ping))
        return pair
    }

    /// A PING frame from the client, written straight into the server.
    static let ping: [UInt8] = [0, 0, 8, 6, 0, 0, 0, 0, 0] + [UInt8](repeating: 1, count: 8)

    /// A call whose request arrives in the read that breached a policy, after the breach: the
    /// GOAWAY it submitted tells the client that the call was not processed (a gRPC client may
    /// send it again elsewhere), so it must not run.
    @Test func aCallPastASubmittedGoawayDoesNotRun() throws {
        var limits = RPCLimits.default
        limits.pingStrikesMax = 0
        let ran = Counter()
        var router = RPCRouter()
        router.registerRaw(Self.echo) { request, _ in
            ran.value += 1
            return request
        }
        let pair = try EmbeddedConnectionPair(router: router, limits: limits)
        defer { try? pair.finish() }
        let call = Outcome(pair.startCall(Self.echo, request: [1]))
        pair.loop.run()
        var read = ByteBuffer(bytes: Self.ping + Self.ping)
        while var request = try pair.client.readOutbound(as: ByteBuffer.self) {
            read.writeBuffer(&request)
        }
        try pair.server.writeInbound(read)
        try pair.exchange()
        #expect(ran.value == 0)
        #expect(pair.clientHeardGoaway.withLockedValue { $0 })
        // The client knows the call never started: it may send it on another connection.
        guard case .failure(let error) = call.result else {
            Issue.record("the call should have failed, got \(String(describing: call.result))")
            return
        }
        #expect(error is CallNotStarted)
    }

    @Test func aGoawayLeftQueuedByAFullChannelLeavesBeforeTheConnectionCloses() throws {
        let pair = try Self.pairClosingWhileThePeerDoesNotRead()
        defer { try? pair.finish() }
        pair.loop.run()
        #expect(try pair.server.readOutbound(as: ByteBuffer.self) == nil)
        #expect(pair.server.isActive)

        // The peer reads again: the GOAWAY leaves, then the connection closes.
        pair.server.isWritable = true
        pair.server.pipeline.fireChannelWritabilityChanged()
        try pair.exchange()
        #expect(pair.clientHeardGoaway.withLockedValue { $0 })
        #expect(!pair.server.isActive)
    }

    @Test(arguments: [false, true])
    func aConnectionThatMustCloseIsClosedWhenThePeerNeverReadsAgain(glitches: Bool) throws {
        let pair = try Self.pairClosingWhileThePeerDoesNotRead(glitches: glitches)
        defer { try? pair.finish() }
        pair.loop.advanceTime(by: H2ServerConnectionHandler.closingTimeout - .milliseconds(1))
        #expect(pair.server.isActive)
        pair.loop.advanceTime(by: .milliseconds(1))
        #expect(!pair.server.isActive)
    }

    /// A peer that reads nothing for the stall timeout is closed; one that reads again before
    /// it is not.
    @Test func aPeerThatStopsReadingIsClosedAfterTheStallTimeout() throws {
        let pair = try EmbeddedConnectionPair(router: Self.router(cancellations: Counter()))
        defer { try? pair.finish() }
        let stall = TimeAmount(clamping: RPCLimits.default.streamStallTimeout)
        func blocked(_ blocked: Bool) {
            pair.server.isWritable = !blocked
            pair.server.pipeline.fireChannelWritabilityChanged()
        }
        blocked(true)
        pair.loop.advanceTime(by: stall - .milliseconds(1))
        blocked(false)
        blocked(true)
        pair.loop.advanceTime(by: stall - .milliseconds(1))
        #expect(pair.server.isActive)
        pair.loop.advanceTime(by: .milliseconds(1))
        #expect(!pair.server.isActive)
    }

    @Test func aCallThatAnswersInTimeLeavesTheTimerUntouched() throws {
        let pair = try EmbeddedConnectionPair(router: Self.router(cancellations: Counter()))
        defer { try? pair.finish() }
        let server = try pair.server.pipeline.syncOperations.handler(
            type: H2ServerConnectionHandler.self)
        _ = pair.startCall(Self.echo, request: [1])
        try pair.exchange()
        // The first stream armed the timer for its stall clock...
        let armed = try #require(server.streamTimerDeadline)
        let call = Outcome(
            pair.startCall(Self.echo, request: [2], metadata: Metadata([("grpc-timeout", "1H")])))
        try pair.exchange()
        #expect(try call.result?.get() == [2])
        // ...and later calls, whose clocks run out later, did not move it.
        #expect(server.streamTimerDeadline == armed)
        // When it fires with nothing due, it is not armed again.
        pair.loop.advanceTime(to: armed)
        try pair.exchange()
        #expect(server.streamTimerDeadline == nil)
    }
}
