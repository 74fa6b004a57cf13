import H2
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RPC

/// How to connect to one endpoint, each time.
struct ConnectionTarget: Sendable {
    var endpoint: CashbackClient.Endpoint
    var tls: TLSClientConfiguration?
    var limits: RPCLimits
    /// The event loop every connection to the endpoint lives on.
    var eventLoop: any EventLoop

    func connect(timeout: Duration) async throws -> H2ClientConnection {
        try await H2ClientConnection.connect(
            host: endpoint.host, port: endpoint.port, tls: tls, limits: limits,
            connectTimeout: timeout, group: eventLoop)
    }
}

/// One endpoint of a client: its open connection, the connection attempt under way, and its
/// reconnect backoff (``ReconnectState``).
///
/// Calls ask ``availability()``, which answers at once under a lock: the open connection, the
/// attempt to wait for (started by this very call when the endpoint was idle or its backoff
/// had passed), or the error to fail with while the endpoint backs off. Concurrent calls
/// share one attempt. The attempt's task records its own outcome, so the state moves on
/// even when no call waits for it.
final class EndpointConnection: Sendable {
    let target: ConnectionTarget
    private let clock: any BackoffClock
    private let logger: Logger
    private let state: NIOLockedValueBox<State>

    private struct State {
        var reconnect: ReconnectState
        /// The open connection, `nil` while none is (the phase is `connected` exactly when
        /// this is set).
        var connection: H2ClientConnection?
        var attempt: Task<H2ClientConnection, any Error>?
        /// Every connection not closed yet: the open one, and those forgotten (the server told
        /// them to go away) whose calls in flight go on. ``close()`` closes them all.
        var live: [H2ClientConnection] = []
        var isClosed = false
        var connectionsOpened = 0
    }

    /// What a call can do with the endpoint now.
    enum Availability {
        /// Call on this connection.
        case ready(H2ClientConnection)
        /// Wait for this attempt (or call another endpoint that is ready).
        case connecting(Task<H2ClientConnection, any Error>)
        /// The endpoint backs off, or the client is closed: fail with this, or call another.
        case unavailable(RPCError)
    }

    var endpoint: CashbackClient.Endpoint { target.endpoint }

    init(
        target: ConnectionTarget, backoff: ConnectionBackoff, clock: any BackoffClock,
        logger: Logger
    ) {
        self.target = target
        self.clock = clock
        var logger = logger
        logger[metadataKey: "endpoint"] = "\(target.endpoint)"
        self.logger = logger
        state = NIOLockedValueBox(State(reconnect: ReconnectState(configuration: backoff)))
    }

    /// The error of every call after ``close()``.
    static let closedError = RPCError(.unavailable, "the client is closed")

    /// Where the endpoint stands for a call now; starts a connection attempt when the endpoint
    /// is idle, or its backoff has passed.
    func availability() -> Availability {
        let (availability, connectTimeout) = state.withLockedValue {
            state -> (Availability, Duration?) in
            guard !state.isClosed else { return (.unavailable(Self.closedError), nil) }
            if let connection = state.connection {
                if connection.isOpen { return (.ready(connection), nil) }
                // Closed, or told to go away: its calls in flight go on, new ones go elsewhere.
                state.connection = nil
                state.reconnect.connectionClosed()
            }
            switch state.reconnect.call(at: clock.now, unitRandom: { clock.unitRandom() }) {
            case .useConnection:
                preconditionFailure("connected without a connection")
            case .startAttempt(let connectTimeout):
                let attempt = makeAttempt(connectTimeout: connectTimeout)
                state.attempt = attempt
                return (.connecting(attempt), connectTimeout)
            case .awaitAttempt:
                guard let attempt = state.attempt else {
                    preconditionFailure("connecting without an attempt")
                }
                return (.connecting(attempt), nil)
            case .failFast(let retryIn, let lastError):
                return (.unavailable(backingOff(retryIn: retryIn, lastError: lastError)), nil)
            }
        }
        if let connectTimeout {
            logger.debug(
                "connecting",
                metadata: ["connect_timeout_ms": "\(connectTimeout.roundedMilliseconds)"])
        }
        return availability
    }

    /// The error of a call while the endpoint backs off: the endpoint, the wait left and why.
    private func backingOff(retryIn: Duration, lastError: RPCError) -> RPCError {
        RPCError(
            .unavailable,
            "no connection to \(endpoint) for another \(retryIn.roundedMilliseconds) ms "
                + "(reconnect backoff); the last attempt failed: \(lastError.message)")
    }

    /// An attempt that records its outcome in the state when it ends.
    private func makeAttempt(connectTimeout: Duration) -> Task<H2ClientConnection, any Error> {
        let target = self.target
        return Task {
            let connection: H2ClientConnection
            do {
                connection = try await target.connect(timeout: connectTimeout)
            } catch {
                attemptFailed(error)
                throw error
            }
            return try await attemptSucceeded(connection)
        }
    }

    private func attemptSucceeded(_ connection: H2ClientConnection) async throws(RPCError)
        -> H2ClientConnection
    {
        let opened = state.withLockedValue { state -> Int? in
            state.attempt = nil
            guard !state.isClosed else { return nil }
            state.connection = connection
            state.live.append(connection)
            state.reconnect.attemptSucceeded()
            state.connectionsOpened += 1
            return state.connectionsOpened
        }
        guard let opened else {
            await connection.close()
            throw Self.closedError
        }
        logger.info("connected", metadata: ["connection": "\(opened)"])
        watch(connection)
        return connection
    }

    private func attemptFailed(_ error: any Error) {
        let failure = RPCError(clientFailure: error)
        let now = clock.now
        let wait = state.withLockedValue { state in
            state.attempt = nil
            return state.reconnect.attemptFailed(at: now, error: failure)
        }
        logger.info(
            "cannot connect; backing off",
            metadata: ["error": "\(failure.message)", "backoff_ms": "\(wait.roundedMilliseconds)"])
    }

    /// Logs the connection's end and forgets it, so that the next call reconnects.
    private func watch(_ connection: H2ClientConnection) {
        Task {
            await connection.waitUntilClosed()
            state.withLockedValue { $0.live.removeAll { $0 === connection } }
            discard(connection)
            logger.info("disconnected")
        }
    }

    /// Forgets `connection` (it can start no more calls) so that the next call connects anew.
    /// Its calls in flight go on: it closes itself once the server has answered them.
    func discard(_ connection: H2ClientConnection) {
        state.withLockedValue { state in
            guard state.connection === connection else { return }
            state.connection = nil
            state.reconnect.connectionClosed()
        }
    }

    /// Connections opened so far.
    var connectionsOpened: Int { state.withLockedValue { $0.connectionsOpened } }

    /// Returns once the open connection (if any) has closed.
    func waitUntilCurrentConnectionCloses() async {
        await state.withLockedValue { $0.connection }?.waitUntilClosed()
    }

    /// Closes every connection not closed yet (calls in flight on them fail with UNAVAILABLE)
    /// and refuses every later call; an attempt under way closes what it connects.
    func close() async {
        let connections = state.withLockedValue { state in
            state.isClosed = true
            return state.live
        }
        for connection in connections { await connection.close() }
    }
}
