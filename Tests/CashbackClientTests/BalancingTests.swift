@testable import CashbackClient
import RPC
import Testing

/// Several endpoints: round robin, failover, endpoints that go down, and reconnect backoff, with
/// real servers on 127.0.0.1 and a ``TestClock`` for every backoff.
@Suite(.timeLimit(.minutes(1))) struct BalancingTests {
    static func client(
        _ servers: [ScriptedServer], _ balancing: CashbackClient.LoadBalancing,
        policy: RetryPolicy = .default, clock: TestClock = TestClock()
    ) async throws -> CashbackClient {
        try await client(
            endpoints: servers.map(\.endpoint), balancing, policy: policy, clock: clock)
    }

    static func client(
        endpoints: [CashbackClient.Endpoint], _ balancing: CashbackClient.LoadBalancing,
        policy: RetryPolicy = .default, backoff: ConnectionBackoff = .default,
        clock: TestClock = TestClock()
    ) async throws -> CashbackClient {
        try await CashbackClient.connect(
            endpoints: endpoints, balancing: balancing, tls: nil, limits: .default,
            connectionBackoff: backoff, retryPolicy: policy, token: nil,
            logger: CashbackClient.silentLogger, clock: clock)
    }

    /// Connection attempts that wait an hour for the server's SETTINGS: one to a
    /// ``SilentListener`` lasts the whole test.
    static let patient = ConnectionBackoff(minConnectTimeout: .seconds(3600))

    static func call(_ client: CashbackClient) async throws -> [UInt8] {
        try await client.transport.unary(
            ScriptedServer.idempotent, request: [1], options: CallOptions())
    }

    /// Returns once every endpoint's first attempt has connected: round robin's `connect`
    /// returns once one has.
    static func waitUntilEveryEndpointConnects(_ client: CashbackClient) async throws {
        for endpoint in try #require(client.connection?.endpoints) {
            if case .connecting(let attempt) = endpoint.availability() { _ = try await attempt.value }
        }
    }

    /// Stops `server` and returns once the client's connection to it has closed.
    static func stop(_ server: ScriptedServer, of client: CashbackClient, index: Int) async {
        await server.stop()
        await client.connection?.endpoints[index].waitUntilCurrentConnectionCloses()
    }

    @Test func roundRobinSpreadsCallsEvenlyAndSkipsAnEndpointThatIsDown() async throws {
        let servers = [try await ScriptedServer.start(), try await ScriptedServer.start()]
        let client = try await Self.client(servers, .roundRobin)
        try await Self.waitUntilEveryEndpointConnects(client)
        #expect(client.connection?.connectionsOpened == 2)
        for _ in 0..<10 { _ = try await Self.call(client) }
        #expect(servers.map(\.calls) == [5, 5])
        // The second goes down: its reconnect is refused and it backs off; calls go to the
        // first only, none fails.
        await Self.stop(servers[1], of: client, index: 1)
        for _ in 0..<6 { _ = try await Self.call(client) }
        #expect(servers.map(\.calls) == [11, 5])
        await client.close()
        await servers[0].stop()
    }

    @Test func failoverUsesTheFirstAndTheNextWhileTheFirstIsDown() async throws {
        let servers = [try await ScriptedServer.start(), try await ScriptedServer.start()]
        let client = try await Self.client(servers, .failover)
        // The second stands by, not connected.
        #expect(client.connection?.connectionsOpened == 1)
        for _ in 0..<4 { _ = try await Self.call(client) }
        #expect(servers.map(\.calls) == [4, 0])
        await Self.stop(servers[0], of: client, index: 0)
        for _ in 0..<4 { _ = try await Self.call(client) }
        #expect(servers.map(\.calls) == [4, 4])
        #expect(client.connection?.connectionsOpened == 2)
        await client.close()
        await servers[1].stop()
    }

    /// Fail-back: once the first endpoint answers again, calls return to it. The first
    /// restarts on its port (the server binds with SO_REUSEADDR); its reconnect backoff passes
    /// on the test clock, and the test awaits the reconnection itself rather than a time.
    @Test func failoverReturnsToTheFirstOnceItIsBack() async throws {
        let first = try await ScriptedServer.start()
        let second = try await ScriptedServer.start()
        let port = first.port
        let clock = TestClock(unit: 1)
        let client = try await Self.client([first, second], .failover, clock: clock)
        let endpoints = try #require(client.connection?.endpoints)
        _ = try await Self.call(client)
        #expect(first.calls == 1)
        await Self.stop(first, of: client, index: 0)
        for _ in 0..<2 { _ = try await Self.call(client) }
        #expect(second.calls == 2)
        // The first's reconnect, started by those calls, is refused: it backs off.
        while case .connecting(let attempt) = endpoints[0].availability() {
            _ = await attempt.result
        }
        guard case .unavailable = endpoints[0].availability() else {
            Issue.record("the first endpoint should be backing off")
            return
        }
        let back = try await ScriptedServer.start(port: port)
        clock.advance(by: .seconds(2))
        guard case .connecting(let attempt) = endpoints[0].availability() else {
            Issue.record("the first endpoint should reconnect once its backoff has passed")
            return
        }
        _ = try await attempt.value
        for _ in 0..<3 { _ = try await Self.call(client) }
        #expect(back.calls == 3)
        #expect(second.calls == 2)
        await client.close()
        await back.stop()
        await second.stop()
    }

    /// A host that accepts connections and never answers (its packets dropped) does not hold
    /// up the others: round robin connects, and calls go, once another endpoint has answered.
    @Test func roundRobinDoesNotWaitForAnEndpointThatNeverAnswers() async throws {
        let silent = try await SilentListener.start()
        let server = try await ScriptedServer.start()
        let client = try await Self.client(
            endpoints: [silent.endpoint, server.endpoint], .roundRobin, backoff: Self.patient)
        for _ in 0..<3 { _ = try await Self.call(client) }
        #expect(server.calls == 3)
        await client.close()
        await server.stop()
        await silent.stop()
    }

    /// When no endpoint is up, a call takes the first attempt under way to connect, not the
    /// first in the list: here the second, while the first still waits for an answer.
    @Test func aCallTakesTheFirstEndpointToReconnect() async throws {
        let silent = try await SilentListener.start()
        let server = try await ScriptedServer.start()
        let port = server.port
        let clock = TestClock(unit: 1)
        let client = try await Self.client(
            endpoints: [silent.endpoint, server.endpoint], .roundRobin, backoff: Self.patient,
            clock: clock)
        let endpoints = try #require(client.connection?.endpoints)
        await Self.stop(server, of: client, index: 1)
        // Its reconnect is refused: it backs off.
        while case .connecting(let attempt) = endpoints[1].availability() {
            _ = await attempt.result
        }
        let back = try await ScriptedServer.start(port: port)
        clock.advance(by: .seconds(2))
        // Neither is up: the first is still connecting, the second starts again now.
        let answer = try await client.transport.unary(
            ScriptedServer.idempotent, request: [7], options: CallOptions(timeout: .seconds(30)))
        #expect(answer == [7])
        #expect(back.calls == 1)
        await client.close()
        await back.stop()
        await silent.stop()
    }

    /// `close()` closes a connection the client had stopped using (the server told it to go
    /// away) as well as the open one: calls still in flight there end too.
    @Test func closeClosesAConnectionThatWasGoingAway() async throws {
        let server = try await ScriptedServer.start()
        let client = try await Self.client([server], .failover)
        _ = try await Self.call(client)
        let endpoint = try #require(client.connection?.endpoints.first)
        guard case .ready(let goingAway) = endpoint.availability() else {
            Issue.record("the endpoint should be connected")
            return
        }
        endpoint.discard(goingAway)  // as when its GOAWAY arrives
        await client.close()
        await goingAway.waitUntilClosed()
        await server.stop()
    }

    @Test func callsFailFastNamingEachEndpointWhileAllBackOff() async throws {
        let servers = [try await ScriptedServer.start(), try await ScriptedServer.start()]
        let clock = TestClock(unit: 1)
        let client = try await Self.client(servers, .roundRobin, clock: clock)
        try await Self.waitUntilEveryEndpointConnects(client)
        await Self.stop(servers[0], of: client, index: 0)
        await Self.stop(servers[1], of: client, index: 1)
        // The first attempt finds both refused; the two retries (after 100 and 200 ms of the
        // test clock) find both backing off for the 1 s that follows a refused connection.
        await #expect {
            try await Self.call(client)
        } throws: { error in
            guard let error = error as? RPCError, error.code == .unavailable else { return false }
            return servers.allSatisfy { server in
                error.message.contains(
                    "no connection to \(server.endpoint) for another 700 ms (reconnect backoff); "
                        + "the last attempt failed: cannot connect to \(server.endpoint): "
                        + "connection refused")
            }
        }
        #expect(clock.sleeps == [.milliseconds(100), .milliseconds(200)])
        // Once the backoff has passed, the next call tries again (and is refused again).
        clock.advance(by: .seconds(1))
        await #expect {
            try await client.transport.unary(
                ScriptedServer.notIdempotent, request: [1], options: CallOptions())
        } throws: { error in
            (error as? RPCError)?.message.hasPrefix(
                "no endpoint is available: cannot connect to ") == true
        }
        await client.close()
    }

    @Test func connectFailsNamingEveryEndpointWhenNoneAnswers() async throws {
        let servers = [try await ScriptedServer.start(), try await ScriptedServer.start()]
        let endpoints = servers.map(\.endpoint)
        for server in servers { await server.stop() }
        for balancing in [CashbackClient.LoadBalancing.roundRobin, .failover] {
            await #expect {
                _ = try await CashbackClient.connect(endpoints: endpoints, balancing: balancing)
            } throws: { error in
                (error as? RPCError)
                    == RPCError(
                        .unavailable,
                        "no endpoint could be reached: cannot connect to \(endpoints[0]): "
                            + "connection refused — is cashbackd running?; cannot connect to "
                            + "\(endpoints[1]): connection refused — is cashbackd running?")
            }
        }
        // One endpoint: its own error, as before.
        await #expect(
            throws: RPCError(
                .unavailable,
                "cannot connect to \(endpoints[0]): connection refused — is cashbackd running?")
        ) {
            _ = try await CashbackClient.connect(host: "127.0.0.1", port: endpoints[0].port)
        }
    }

    @Test func failoverConnectsToTheFirstThatAnswers() async throws {
        let down = try await ScriptedServer.start()
        await down.stop()
        let up = try await ScriptedServer.start()
        let client = try await Self.client([down, up], .failover)
        _ = try await Self.call(client)
        #expect(up.calls == 1)
        await client.close()
        await up.stop()
    }
}
