import CashbackTestSupport
import H2
import RPC
import Synchronization
import Testing

/// Server-streaming calls over a real loopback connection: many messages, flow control with a
/// slow consumer, errors after messages, cancellation, deadlines and graceful shutdown.
@Suite(.timeLimit(.minutes(1))) struct ServerStreamingTests {
    static let method = MethodDescriptor(service: "test.Stream", method: "Numbers")

    /// A server whose one streaming method runs `body`; the request's first byte is a count.
    struct Fixture {
        let server: H2Server
        let connection: H2ClientConnection

        static func start(
            limits: RPCLimits = .default, _ body: @escaping RPCRouter.StreamingHandler
        ) async throws -> Fixture {
            var router = RPCRouter()
            router.registerRawServerStreaming(ServerStreamingTests.method, body)
            let server = try await H2Server.bind(
                host: "127.0.0.1", port: 0, router: router, limits: limits)
            let connection = try await H2ClientConnection.connect(
                host: "127.0.0.1", port: server.localAddress.port!, limits: limits)
            return Fixture(server: server, connection: connection)
        }

        func stream(_ request: [UInt8] = [], options: CallOptions = CallOptions())
            -> RPCRawResponseStream
        {
            connection.serverStreaming(ServerStreamingTests.method, request: request, options: options)
        }

        func stop() async {
            await connection.close()
            await server.shutdownGracefully()
        }
    }

    /// Message `index` of a test stream: its index in four bytes, then `size - 4` filler bytes.
    static func message(_ index: Int, size: Int = 4) -> [UInt8] {
        withUnsafeBytes(of: UInt32(index).bigEndian, Array.init)
            + [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: max(0, size - 4))
    }

    @Test func manyMessagesArriveInOrderThenTheStreamEndsOK() async throws {
        let fixture = try await Fixture.start { (_, writer, _) throws(RPCError) in
            for index in 0..<2_000 { try await writer.write(Self.message(index, size: index % 300)) }
        }
        var received: [[UInt8]] = []
        for try await payload in fixture.stream() { received.append(payload) }
        #expect(received == (0..<2_000).map { Self.message($0, size: $0 % 300) })
        await fixture.stop()
    }

    @Test func aHandlerThatWritesNothingEndsOKWithNoMessage() async throws {
        let fixture = try await Fixture.start { (_, _, _) throws(RPCError) in }
        var count = 0
        for try await _ in fixture.stream() { count += 1 }
        #expect(count == 0)
        await fixture.stop()
    }

    /// 4 MiB through 64 KiB windows: the stream reaches its end, and neither side ever holds
    /// more than a few windows' worth — the handler's writes wait for the consumer.
    @Test func aStreamLargerThanTheWindowsReachesTheEndWithBoundedBuffering() async throws {
        var limits = RPCLimits.default
        limits.streamWindowBytes = 65_535
        let count = 256
        let size = 16 << 10
        let written = Atomic<Int>(0)
        let fixture = try await Fixture.start(limits: limits) { (_, writer, _) throws(RPCError) in
            for index in 0..<count {
                try await writer.write(Self.message(index, size: size))
                written.add(1, ordering: .sequentiallyConsistent)
            }
        }
        var taken = 0
        var aheadMax = 0
        for try await payload in fixture.stream() {
            #expect(payload == Self.message(taken, size: size))
            taken += 1
            // A slow consumer: the handler gets every chance to run ahead before the next take.
            for _ in 0..<50 { await Task.yield() }
            aheadMax = max(aheadMax, written.load(ordering: .sequentiallyConsistent) - taken)
        }
        #expect(taken == count)
        // Server outbox (64 KiB + one message), one stream window in flight, the client's
        // queue (one window held back): about 14 messages of 16 KiB. Unbounded would be 255.
        #expect(aheadMax <= 20, "the handler ran \(aheadMax) messages ahead of its consumer")
        await fixture.stop()
    }

    @Test func anErrorAfterMessagesBecomesTheTrailersStatus() async throws {
        let fixture = try await Fixture.start { (_, writer, _) throws(RPCError) in
            for index in 0..<3 { try await writer.write(Self.message(index)) }
            throw RPCError(.dataLoss, "the tape broke")
        }
        var received: [[UInt8]] = []
        await #expect {
            for try await payload in fixture.stream() { received.append(payload) }
        } throws: { ($0 as? RPCError) == RPCError(.dataLoss, "the tape broke") }
        #expect(received == (0..<3).map { Self.message($0) })
        await fixture.stop()
    }

    @Test func aMessageOverTheLimitEndsTheStreamResourceExhausted() async throws {
        var limits = RPCLimits.default
        limits.messageBytesMax = 1_000
        let refused = Gate()
        let finished = Gate()
        let fixture = try await Fixture.start(limits: limits) { (_, writer, _) throws(RPCError) in
            defer { finished.open() }
            try await writer.write(Self.message(0, size: 1_000))
            do throws(RPCError) {
                try await writer.write(Self.message(1, size: 1_001))
            } catch {
                if error.code == .resourceExhausted { refused.open() }
                throw error
            }
        }
        var received: [[UInt8]] = []
        await #expect {
            for try await payload in fixture.stream() { received.append(payload) }
        } throws: { ($0 as? RPCError)?.code == .resourceExhausted }
        #expect(received == [Self.message(0, size: 1_000)])
        // The client may see the trailers before the handler has caught its failed write.
        await finished.wait()
        #expect(refused.isOpen)
        await fixture.stop()
    }

    @Test func leavingTheLoopResetsTheStreamAndCancelsTheHandler() async throws {
        let stopped = Gate()
        let fixture = try await Fixture.start { (_, writer, _) throws(RPCError) in
            defer { stopped.open() }
            var index = 0
            // Writes until the stream is gone: the write that fails ends the handler.
            while true {
                try await writer.write(Self.message(index))
                index += 1
            }
        }
        var taken = 0
        for try await _ in fixture.stream() {
            taken += 1
            if taken == 3 { break }
        }
        await stopped.wait()
        #expect(taken == 3)
        await fixture.stop()
        #expect(fixture.server.runningHandlerCount == 0)
    }

    @Test func cancellingTheConsumingTaskCancelsTheHandler() async throws {
        let first = Gate()
        let cancelled = Gate()
        let fixture = try await Fixture.start { (_, writer, _) throws(RPCError) in
            try await writer.write(Self.message(0))
            await Gate().wait()  // ends only on cancellation
            if Task.isCancelled { cancelled.open() }
        }
        let consumer = Task {
            for try await _ in fixture.stream() { first.open() }
        }
        await first.wait()
        consumer.cancel()
        await #expect { try await consumer.value } throws: {
            ($0 as? RPCError)?.code == .cancelled
        }
        await cancelled.wait()
        await fixture.stop()
    }

    @Test func theServerDeadlineEndsAStreamMidWayAndCancelsTheHandler() async throws {
        let entered = Gate()
        let cancelled = Gate()
        let fixture = try await Fixture.start { (_, writer, _) throws(RPCError) in
            entered.open()
            // However it ends (a write refused, or the wait cut short), it was cancelled.
            defer { if Task.isCancelled { cancelled.open() } }
            try await writer.write(Self.message(0))
            await Gate().wait()
        }
        // The deadline travels as a header only: the answer can only come from the server.
        let options = CallOptions(metadata: Metadata([("grpc-timeout", "200m")]))
        var received: [[UInt8]] = []
        await #expect {
            for try await payload in fixture.stream(options: options) { received.append(payload) }
        } throws: { ($0 as? RPCError)?.code == .deadlineExceeded }
        // On a loaded machine the deadline may pass before the request has arrived, and then
        // no handler ever ran; one that did was cancelled.
        if entered.isOpen { await cancelled.wait() }
        #expect(received.count <= 1)
        await fixture.stop()
    }

    @Test func gracefulShutdownWaitsForAStreamingHandlerToFinish() async throws {
        let release = Gate()
        let fixture = try await Fixture.start { (_, writer, _) throws(RPCError) in
            try await writer.write(Self.message(0))
            await release.wait()
            for index in 1..<4 { try await writer.write(Self.message(index)) }
        }
        var iterator = fixture.stream().makeAsyncIterator()
        #expect(try await iterator.next() == Self.message(0))
        let shutdown = Task { await fixture.server.shutdownGracefully() }
        release.open()
        var rest: [[UInt8]] = []
        while let payload = try await iterator.next() { rest.append(payload) }
        #expect(rest == (1..<4).map { Self.message($0) })
        await shutdown.value
        #expect(fixture.server.runningHandlerCount == 0)
        await fixture.connection.close()
    }

    @Test func aStreamingMethodAndUnaryCallsShareAConnection() async throws {
        var router = RPCRouter()
        router.registerRawServerStreaming(Self.method) { (_, writer, _) throws(RPCError) in
            for index in 0..<100 { try await writer.write(Self.message(index, size: 1_000)) }
        }
        router.registerRaw(SlowServer.method) { (payload, _) throws(RPCError) in payload }
        let server = try await H2Server.bind(host: "127.0.0.1", port: 0, router: router)
        let connection = try await H2ClientConnection.connect(
            host: "127.0.0.1", port: server.localAddress.port!)
        var iterator = connection.serverStreaming(Self.method, request: [], options: CallOptions())
            .makeAsyncIterator()
        _ = try await iterator.next()
        // The stream is not being read; a unary call on the same connection still answers.
        #expect(try await connection.unary(SlowServer.method, request: [9], options: CallOptions()) == [9])
        var count = 1
        while try await iterator.next() != nil { count += 1 }
        #expect(count == 100)
        await connection.close()
        await server.shutdownGracefully()
    }
}
