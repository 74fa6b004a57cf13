import H2
import Logging
import NIOPosix
import RPC

extension CashbackClient {
    /// A logger that drops everything: the default of `connect(…, logger:)`.
    public static let silentLogger = Logger(
        label: "cashback.client", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Connects to one server over TLS with ALPN `h2`, or over cleartext HTTP/2 with prior
    /// knowledge (h2c) when `tls` is `nil`. The first connection is made here, so an
    /// unreachable server (or one whose certificate is not trusted) is reported at once.
    ///
    /// ```swift
    /// let client = try await CashbackClient.connect(
    ///     host: "ledger.internal", port: 50051,
    ///     tls: TLSClientConfiguration(trustRootsPath: "ca.pem"))
    /// ```
    ///
    /// The same as ``connect(endpoints:balancing:tls:limits:connectionBackoff:retryPolicy:token:logger:)``
    /// with one endpoint and gRPC's connection backoff, whose attempts may take
    /// `connectTimeout` (or their backoff, when longer).
    ///
    /// - Parameters:
    ///   - host: the server's host, e.g. `127.0.0.1`.
    ///   - port: the server's port, 1...65535.
    ///   - tls: trust roots, the name to verify, a client certificate; `nil` for h2c.
    ///   - limits: bounds on messages (a response over the limit fails RESOURCE_EXHAUSTED).
    ///   - connectTimeout: how long to wait for the TCP connection, positive.
    ///   - token: the bearer token every call sends, from `cashbackd token create`; `nil`
    ///     sends none (only health answers then).
    ///   - retryPolicy: how calls of idempotent methods are retried (``RetryPolicy/default``:
    ///     three attempts after UNAVAILABLE; ``RetryPolicy/disabled`` for none).
    ///   - logger: where connects, disconnects, backoffs and retries are logged (at info and
    ///     debug, with the endpoint as metadata; never the token). Silent by default.
    /// - Throws: ``RPCError`` INVALID_ARGUMENT for an argument out of range (naming it and
    ///   the range); ``TLSError`` when a TLS file cannot be used; ``RPCError`` UNAVAILABLE
    ///   when the server cannot be reached or the TLS handshake fails.
    public static func connect(
        host: String, port: Int, tls: TLSClientConfiguration? = nil,
        limits: RPCLimits = .default, connectTimeout: Duration = .seconds(10),
        token: String? = nil, retryPolicy: RetryPolicy = .default,
        logger: Logger = silentLogger
    ) async throws -> CashbackClient {
        let endpoint = Endpoint(host: host, port: port)
        try endpoint.check(argument: "")
        try ArgumentCheck.requirePositive(connectTimeout, "", "connectTimeout")
        var backoff = ConnectionBackoff.default
        backoff.minConnectTimeout = connectTimeout
        return try await connect(
            endpoints: [endpoint], balancing: .failover, tls: tls, limits: limits,
            connectionBackoff: backoff, retryPolicy: retryPolicy, token: token, logger: logger)
    }

    /// Connects to several servers of one ledger, and spreads calls over them or fails over
    /// between them. At least one endpoint must be reachable here (with `.roundRobin` the
    /// client connects to each, with `.failover` to the first it can reach); the others are
    /// tried again with a backoff, and used once they are up.
    ///
    /// ```swift
    /// import Foundation  // ProcessInfo
    ///
    /// let client = try await CashbackClient.connect(
    ///     endpoints: [.init(host: "ledger-a.internal", port: 50051),
    ///                 .init(host: "ledger-b.internal", port: 50051)],
    ///     balancing: .roundRobin,
    ///     tls: TLSClientConfiguration(trustRootsPath: "ca.pem"),
    ///     token: ProcessInfo.processInfo.environment["CASHBACK_TOKEN"],
    ///     logger: Logger(label: "cashback"))
    /// ```
    ///
    /// - Parameters:
    ///   - endpoints: the servers, at least one, each once; with `.failover`, in order of
    ///     preference.
    ///   - balancing: ``LoadBalancing/roundRobin`` or ``LoadBalancing/failover`` (the default).
    ///   - tls: trust roots and a client certificate, the same for every endpoint (each
    ///     endpoint's host is the name verified, unless `tls` sets one); `nil` for h2c.
    ///   - limits: bounds on messages (a response over the limit fails RESOURCE_EXHAUSTED).
    ///   - connectionBackoff: how long an endpoint that cannot be reached is left alone
    ///     (gRPC's defaults: 1 s, × 1.6, ±20 %, up to 120 s; 20 s to connect).
    ///   - retryPolicy: how calls of idempotent methods are retried (``RetryPolicy/default``;
    ///     ``RetryPolicy/disabled`` for none).
    ///   - token: the bearer token every call sends; never sent in cleartext to another
    ///     machine.
    ///   - logger: where connects, disconnects, backoffs and retries are logged (at info and
    ///     debug, with the endpoint as metadata; never the token). Silent by default.
    /// - Throws: ``RPCError`` INVALID_ARGUMENT for an argument out of range (naming it, e.g.
    ///   `endpoints[1].port must be 1...65535, got 0`); ``TLSError`` when a TLS file cannot be
    ///   used; ``RPCError`` UNAVAILABLE when no endpoint can be reached, naming each and why.
    public static func connect(
        endpoints: [Endpoint], balancing: LoadBalancing = .failover,
        tls: TLSClientConfiguration? = nil, limits: RPCLimits = .default,
        connectionBackoff: ConnectionBackoff = .default, retryPolicy: RetryPolicy = .default,
        token: String? = nil, logger: Logger = silentLogger
    ) async throws -> CashbackClient {
        try await connect(
            endpoints: endpoints, balancing: balancing, tls: tls, limits: limits,
            connectionBackoff: connectionBackoff, retryPolicy: retryPolicy, token: token,
            logger: logger, clock: SystemBackoffClock())
    }

    /// ``connect(endpoints:balancing:tls:limits:connectionBackoff:retryPolicy:token:logger:)``
    /// with the clock and random numbers of every backoff: a test's, or the system's.
    static func connect(
        endpoints: [Endpoint], balancing: LoadBalancing, tls: TLSClientConfiguration?,
        limits: RPCLimits, connectionBackoff: ConnectionBackoff, retryPolicy: RetryPolicy,
        token: String?, logger: Logger, clock: any BackoffClock
    ) async throws -> CashbackClient {
        try checkEndpoints(endpoints)
        try connectionBackoff.check(argument: "connectionBackoff")
        try retryPolicy.check(argument: "retryPolicy")
        try checkTokenTransport(token, endpoints: endpoints, tls: tls)
        if retryPolicy.maxAttempts > RetryPolicy.attemptsCap {
            logger.notice(
                "retryPolicy.maxAttempts counts as gRFC A6's most",
                metadata: [
                    "max_attempts": "\(retryPolicy.maxAttempts)",
                    "counted_as": "\(RetryPolicy.attemptsCap)",
                ])
        }
        // One loop for this client's connections, so that `taskExecutor` stays where they are.
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let connections = endpoints.map { endpoint in
            EndpointConnection(
                target: ConnectionTarget(
                    endpoint: endpoint, tls: tls, limits: limits, eventLoop: loop),
                backoff: connectionBackoff, clock: clock, logger: logger)
        }
        try await connectFirst(connections, balancing: balancing)
        let retrying = RetryingTransport(
            base: ReconnectingTransport(endpoints: connections, balancing: balancing),
            policy: retryPolicy, clock: clock, logger: logger)
        return CashbackClient(
            transport: retrying, retrying: retrying, token: token,
            taskExecutor: EventLoopTaskExecutor(eventLoop: loop))
    }

    /// Checks that there are endpoints, each valid and given once.
    static func checkEndpoints(_ endpoints: [Endpoint]) throws(RPCError) {
        try ArgumentCheck.require(
            !endpoints.isEmpty, "", "endpoints is empty: give at least one host and port")
        for (index, endpoint) in endpoints.enumerated() {
            try endpoint.check(argument: "endpoints[\(index)]")
            if let first = endpoints.firstIndex(of: endpoint), first < index {
                throw RPCError(
                    .invalidArgument,
                    "endpoints[\(index)] repeats endpoints[\(first)] (\(endpoint)): list each "
                        + "server once")
            }
        }
    }

    /// Refuses a malformed token, and a token that would cross the network in cleartext.
    private static func checkTokenTransport(
        _ token: String?, endpoints: [Endpoint], tls: TLSClientConfiguration?
    ) throws(RPCError) {
        guard let token, !token.isEmpty else { return }
        try checkToken(token)
        // A bearer token in cleartext is anyone's on the path: only over TLS, or to this
        // machine.
        if tls == nil, let remote = endpoints.first(where: { !HostAndPort.isLoopback($0.host) }) {
            throw RPCError(
                .unauthenticated,
                "refusing to send the token in cleartext to \(remote.host): use TLS (the "
                    + "client's tls:, the probe without --plaintext)")
        }
    }

    /// Makes the first connections: to every endpoint at once for round robin, returning once
    /// one has connected; to the first that answers, in order, for failover.
    ///
    /// - Throws: the first ``TLSError`` (the TLS files are the same for every endpoint); the
    ///   only endpoint's ``RPCError``; UNAVAILABLE naming each endpoint and why, when none
    ///   could be reached.
    private static func connectFirst(
        _ connections: [EndpointConnection], balancing: LoadBalancing
    ) async throws {
        var failures: [RPCError] = []
        switch balancing {
        case .failover:
            for connection in connections {
                guard let failure = try await failure(of: firstAttempt(connection)) else { return }
                failures.append(failure)
            }
        case .roundRobin:
            // Returns as soon as one has connected; the others go on connecting.
            do {
                _ = try await EndpointConnection.firstToConnect(
                    connections.map(firstAttempt), within: nil, deadline: "",
                    endsTheWait: { $0 is TLSError })
                return
            } catch let all as EndpointConnection.AttemptsFailed {
                failures = all.failures.map(RPCError.init(clientFailure:))
            }
        }
        guard failures.count > 1 else { throw failures[0] }
        throw RPCError(
            .unavailable,
            "no endpoint could be reached: " + failures.map(\.message).joined(separator: "; "))
    }

    /// The attempt a new endpoint starts when it is first asked for.
    private static func firstAttempt(_ connection: EndpointConnection)
        -> Task<H2ClientConnection, any Error>
    {
        guard case .connecting(let attempt) = connection.availability() else {
            preconditionFailure("a new endpoint starts connecting when first asked")
        }
        return attempt
    }

    /// Why `attempt` failed, or `nil` when it connected.
    ///
    /// - Throws: a ``TLSError``, which no other endpoint would escape.
    private static func failure(of attempt: Task<H2ClientConnection, any Error>) async throws
        -> RPCError?
    {
        do {
            _ = try await attempt.value
            return nil
        } catch let error as TLSError {
            throw error
        } catch {
            return RPCError(clientFailure: error)
        }
    }
}
