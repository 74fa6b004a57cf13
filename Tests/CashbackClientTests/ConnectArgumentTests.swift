import CashbackClient
import RPC
import Testing

/// `connect` checks its arguments before any connection, and names the one at fault.
@Suite struct ConnectArgumentTests {
    @Test(arguments: [
        ("127.0.0.1", 0, "port must be 1...65535, got 0"),
        ("127.0.0.1", 65_536, "port must be 1...65535, got 65536"),
        ("127.0.0.1", -1, "port must be 1...65535, got -1"),
        ("", 50051, "host must be a name or an address, got ''"),
        ("a b", 50051, "host must be a name or an address, got 'a b'"),
    ])
    func oneEndpoint(_ host: String, _ port: Int, _ message: String) async {
        await #expect(throws: RPCError(.invalidArgument, message)) {
            _ = try await CashbackClient.connect(host: host, port: port)
        }
    }

    @Test func connectTimeoutMustBePositive() async {
        await #expect(
            throws: RPCError(.invalidArgument, "connectTimeout must be positive, got 0.0 seconds")
        ) {
            _ = try await CashbackClient.connect(host: "127.0.0.1", port: 1, connectTimeout: .zero)
        }
    }

    @Test(arguments: [
        ([], "endpoints is empty: give at least one host and port"),
        ([.init(host: "127.0.0.1", port: 1), .init(host: "127.0.0.1", port: 70_000)],
         "endpoints[1].port must be 1...65535, got 70000"),
        ([.init(host: "", port: 1)], "endpoints[0].host must be a name or an address, got ''"),
        ([.init(host: "127.0.0.1", port: 1), .init(host: "127.0.0.1", port: 2),
          .init(host: "127.0.0.1", port: 1)],
         "endpoints[2] repeats endpoints[0] (127.0.0.1:1): list each server once"),
    ] as [([CashbackClient.Endpoint], String)])
    func endpoints(_ endpoints: [CashbackClient.Endpoint], _ message: String) async {
        await #expect(throws: RPCError(.invalidArgument, message)) {
            _ = try await CashbackClient.connect(endpoints: endpoints)
        }
    }

    @Test func policiesAreCheckedBeforeConnecting() async {
        // Port 1 on loopback refuses connections: a check that came after connecting would
        // report UNAVAILABLE instead.
        await #expect(
            throws: RPCError(
                .invalidArgument,
                "retryPolicy.maxAttempts must be 1 or more (1: no retries; above 5 counts as 5), "
                    + "got 0")
        ) {
            _ = try await CashbackClient.connect(
                host: "127.0.0.1", port: 1, retryPolicy: RetryPolicy(maxAttempts: 0))
        }
        await #expect(
            throws: RPCError(
                .invalidArgument, "connectionBackoff.jitter must be in 0..<1, got 2.0")
        ) {
            _ = try await CashbackClient.connect(
                endpoints: [.init(host: "127.0.0.1", port: 1)],
                connectionBackoff: ConnectionBackoff(jitter: 2))
        }
    }

    @Test func aTokenIsNeverSentInCleartextToAnotherMachine() async {
        await #expect(
            throws: RPCError(
                .unauthenticated,
                "refusing to send the token in cleartext to 192.0.2.1: use TLS (the client's "
                    + "tls:, the probe without --plaintext)")
        ) {
            _ = try await CashbackClient.connect(
                endpoints: [.init(host: "127.0.0.1", port: 1), .init(host: "192.0.2.1", port: 1)],
                token: "cbk_0123456789abcdef_x")
        }
    }
}
