@testable import CashbackClient
import CashbackTestSupport
import Logging
import RPC
import Testing

/// Retries over a real HTTP/2 connection to a server that fails as scripted; backoffs pass on
/// a ``TestClock``, so nothing waits.
@Suite(.timeLimit(.minutes(1))) struct RetryingTransportTests {
    /// A client of `server` with `policy`, whose backoffs use `clock`.
    static func client(
        _ server: ScriptedServer, policy: RetryPolicy = .default, clock: TestClock = TestClock(),
        logger: Logger? = nil
    ) async throws -> CashbackClient {
        try await CashbackClient.connect(
            endpoints: [server.endpoint], balancing: .failover, tls: nil, limits: .default,
            connectionBackoff: .default, retryPolicy: policy, token: nil,
            logger: logger ?? CashbackClient.silentLogger, clock: clock)
    }

    static func call(
        _ client: CashbackClient, _ method: MethodDescriptor = ScriptedServer.idempotent,
        timeout: Duration? = nil
    ) async throws -> [UInt8] {
        try await client.transport.unary(method, request: [7], options: CallOptions(timeout: timeout))
    }

    @Test func anIdempotentMethodIsRetriedUntilItSucceeds() async throws {
        let server = try await ScriptedServer.start([.fail(.restarting), .fail(.restarting)])
        let clock = TestClock(unit: 1)
        let client = try await Self.client(server, clock: clock)
        #expect(try await Self.call(client) == [7])
        #expect(server.calls == 3)
        // A6: the bound of retry n is 100 ms × 2^(n−1); the random unit is 1.
        #expect(clock.sleeps == [.milliseconds(100), .milliseconds(200)])
        await client.close()
        await server.stop()
    }

    @Test func theLastFailureIsAnsweredWhenTheAttemptsAreUsedUp() async throws {
        let server = try await ScriptedServer.start(Array(repeating: .fail(.restarting), count: 4))
        let client = try await Self.client(server)
        await #expect(throws: RPCError.restarting) { try await Self.call(client) }
        #expect(server.calls == 3)
        await client.close()
        await server.stop()
    }

    @Test func aMethodNotMarkedIdempotentIsNotRetried() async throws {
        let server = try await ScriptedServer.start([.fail(.restarting)])
        let client = try await Self.client(server)
        await #expect(throws: RPCError.restarting) {
            try await Self.call(client, ScriptedServer.notIdempotent)
        }
        #expect(server.calls == 1)
        await client.close()
        await server.stop()
    }

    @Test func aStatusNotRetryableIsNotRetried() async throws {
        let full = RPCError(.resourceExhausted, "the ledger's write queue is full")
        let server = try await ScriptedServer.start([.fail(full), .fail(full)])
        let client = try await Self.client(server)
        await #expect(throws: full) { try await Self.call(client) }
        #expect(server.calls == 1)
        // Unless the policy names it.
        var policy = RetryPolicy.default
        policy.retryableStatusCodes.insert(.resourceExhausted)
        let retrying = try await Self.client(server, policy: policy)
        #expect(try await Self.call(retrying) == [7])
        #expect(server.calls == 3)
        await client.close()
        await retrying.close()
        await server.stop()
    }

    @Test func retriesStopWhenTheBudgetIsSpentAndResumeOnceSuccessesEarnItBack() async throws {
        let server = try await ScriptedServer.start(Array(repeating: .fail(.restarting), count: 3))
        var policy = RetryPolicy.default
        // 4 tokens, 1 a success: at 2 or fewer, no call is retried.
        policy.throttling = RetryThrottling(maxTokens: 4, tokenRatio: 1)
        let client = try await Self.client(server, policy: policy)
        // 4 → 3, retried; 3 → 2, not retried: the budget is at half.
        await #expect(throws: RPCError.restarting) { try await Self.call(client) }
        #expect(server.calls == 2)
        // 2 → 1: the next call is not retried at all.
        await #expect(throws: RPCError.restarting) { try await Self.call(client) }
        #expect(server.calls == 3)
        #expect(client.retrying?.throttle?.tokensMilli == 1000)
        // Three successes earn 3 tokens: 4, the most.
        for _ in 0..<3 { #expect(try await Self.call(client) == [7]) }
        #expect(client.retrying?.throttle?.tokensMilli == 4000)
        server.append([.fail(.restarting)])
        #expect(try await Self.call(client) == [7])
        #expect(server.calls == 8)
        await client.close()
        await server.stop()
    }

    @Test func theDeadlineCoversEveryAttempt() async throws {
        let server = try await ScriptedServer.start([.fail(.restarting), .fail(.restarting)])
        var policy = RetryPolicy.default
        policy.initialBackoff = .seconds(30)
        policy.maxBackoff = .seconds(30)
        let clock = TestClock(unit: 1)
        let client = try await Self.client(server, policy: policy, clock: clock)
        // The first backoff (30 s) would end past the 10 s deadline: no second attempt.
        await #expect {
            try await Self.call(client, timeout: .seconds(10))
        } throws: { error in
            let error = error as? RPCError
            return error?.code == .deadlineExceeded
                && error?.message.hasPrefix("the deadline leaves no time to retry") == true
        }
        #expect(server.calls == 1)
        #expect(clock.sleeps.isEmpty)
        await client.close()
        await server.stop()
    }

    @Test func theServersPushbackSetsTheDelayOrForbidsTheRetry() async throws {
        let server = try await ScriptedServer.start([
            .fail(RPCError.restarting.pushing(back: .retryAfter(.milliseconds(1500)))),
            .fail(RPCError.restarting.pushing(back: .doNotRetry)),
        ])
        let clock = TestClock(unit: 1)
        let client = try await Self.client(server, clock: clock)
        await #expect {
            try await Self.call(client)
        } throws: { ($0 as? RPCError)?.retryPushback == .doNotRetry }
        #expect(server.calls == 2)
        #expect(clock.sleeps == [.milliseconds(1500)])
        await client.close()
        await server.stop()
    }

    @Test func aStreamIsRetriedUntilItsFirstMessageOnly() async throws {
        let server = try await ScriptedServer.start([
            .fail(.restarting), .failAfterOneMessage(.restarting),
        ])
        let client = try await Self.client(server)
        let stream = client.transport.serverStreaming(
            ScriptedServer.stream, request: [9], options: CallOptions())
        var received: [[UInt8]] = []
        await #expect(throws: RPCError.restarting) {
            for try await message in stream { received.append(message) }
        }
        // The first attempt failed before any message and was retried; the second failed
        // after one, which the consumer had: not retried.
        #expect(received == [[9, 0]])
        #expect(server.calls == 2)
        // With the script done, a new call streams every message.
        received = []
        for try await message in stream { received.append(message) }
        #expect(received == [[9, 0], [9, 1], [9, 2]])
        await client.close()
        await server.stop()
    }

    /// gRFC A6: a unary call whose server sent response headers before failing is committed,
    /// and is not retried, while one that failed without headers (trailers only) is. The
    /// scripted server's streaming method answers headers, one message, then the error: called
    /// as a unary method, that is a failure after headers.
    @Test func aUnaryCallThatFailsAfterResponseHeadersIsNotRetried() async throws {
        let server = try await ScriptedServer.start([
            .failAfterOneMessage(.restarting), .fail(.restarting),
        ])
        let client = try await Self.client(server)
        await #expect(throws: RPCError.restarting) { try await Self.call(client, ScriptedServer.stream) }
        #expect(server.calls == 1)
        // The next call fails before any header: retried. The retry is answered with three
        // messages, which a unary call refuses.
        await #expect(throws: RPCError(.internal, "a unary response carries more than one message")) {
            try await Self.call(client, ScriptedServer.stream)
        }
        #expect(server.calls == 3)
        await client.close()
        await server.stop()
    }

    @Test func logsRetriesWithTheEndpointAndNeverTheToken() async throws {
        let server = try await ScriptedServer.start([.fail(.restarting)])
        let logs = CapturedLogs()
        let token = "cbk_0123456789abcdef_secret"
        let client = try await CashbackClient.connect(
            endpoints: [server.endpoint], balancing: .failover, tls: nil, limits: .default,
            connectionBackoff: .default, retryPolicy: .default, token: token,
            logger: logs.logger, clock: TestClock())
        #expect(try await Self.call(client) == [7])
        await client.close()
        await server.stop()
        let records = logs.records
        let connected = records.first { $0.message == "connected" }
        #expect(connected?.metadata["endpoint"] == "\(server.endpoint)")
        let retry = try #require(records.first { $0.message == "retrying" })
        #expect(retry.level == .debug)
        #expect(retry.metadata["endpoint"] == "\(server.endpoint)")
        #expect(retry.metadata["method"] == "test.Scripted/Get")
        #expect(retry.metadata["attempt"] == "1")
        #expect(retry.metadata["code"] == "UNAVAILABLE")
        #expect(retry.metadata["backoff_ms"] == "100")
        #expect(!records.contains { $0.text.contains("secret") })
    }
}
