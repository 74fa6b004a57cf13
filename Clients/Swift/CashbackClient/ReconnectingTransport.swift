import H2
import NIOCore
import RPC
import Synchronization

/// A client transport over one or more endpoints, each with a connection that is opened again
/// when it has closed (the server's idle timeout, a restart, a network failure) and a
/// reconnect backoff while it cannot be (``EndpointConnection``).
///
/// Each call picks an endpoint as ``CashbackClient/LoadBalancing`` says, among those whose
/// connection is open; an endpoint that is down is skipped until it has reconnected. When none
/// is open, the call waits for the connection attempts under way (no longer than its
/// deadline), and fails with UNAVAILABLE naming every endpoint and why when none succeeds.
///
/// A call whose request could not be sent at all (the connection had closed, or the server
/// had told it to go away) is sent on another connection, as nothing of it reached the server.
/// Calls in flight when a connection drops fail with UNAVAILABLE; retrying them is
/// ``RetryingTransport``'s business, for the methods that may be retried.
final class ReconnectingTransport: RPCClientTransport {
    let endpoints: [EndpointConnection]
    let balancing: CashbackClient.LoadBalancing
    /// The round robin's position.
    private let turn = Atomic<Int>(0)

    init(endpoints: [EndpointConnection], balancing: CashbackClient.LoadBalancing) {
        precondition(!endpoints.isEmpty, "a client needs an endpoint")
        self.endpoints = endpoints
        self.balancing = balancing
    }

    /// Connections tried for one call whose request could not be sent (each closed, or was
    /// told to go away, before the call started).
    static let attemptsMax = 3

    /// One call's outcome, with the endpoint it went to (`nil` when none could be used): for
    /// the retry layer's logs.
    struct Outcome<Value> {
        var endpoint: CashbackClient.Endpoint?
        var result: Result<Value, RPCError>
        /// Whether the call failed after the server's response headers: gRFC A6 calls it
        /// committed, and it is not retried.
        var committed = false
    }

    func unary(_ method: MethodDescriptor, request: [UInt8], options: CallOptions)
        async throws -> [UInt8]
    {
        try await unaryOutcome(method, request: request, options: options).result.get()
    }

    /// Makes a unary call and says where it went.
    func unaryOutcome(_ method: MethodDescriptor, request: [UInt8], options: CallOptions)
        async -> Outcome<[UInt8]>
    {
        await onOpenConnection(options) { connection, options in
            try await connection.unaryIfOpen(method, request: request, options: options)
        }
    }

    func serverStreaming(_ method: MethodDescriptor, request: [UInt8], options: CallOptions)
        -> RPCRawResponseStream
    {
        RPCRawResponseStream { [self] in
            try await streamOutcome(method, request: request, options: options).result.get()
        }
    }

    /// Starts a server-streaming call and says where it went; its messages and status arrive
    /// in the buffer.
    func streamOutcome(_ method: MethodDescriptor, request: [UInt8], options: CallOptions)
        async -> Outcome<RPCMessageBuffer>
    {
        await onOpenConnection(options) { connection, options in
            try await connection.serverStreamIfOpen(method, request: request, options: options)
        }
    }

    /// Starts a call with `start` on the connection of the endpoint picked, or on another when
    /// `start` returns `nil` (nothing was sent). Time spent waiting for a connection comes off
    /// the call's timeout.
    private func onOpenConnection<T>(
        _ options: CallOptions,
        _ start: (H2ClientConnection, CallOptions) async throws -> T?
    ) async -> Outcome<T> {
        var options = options
        var endpoint: CashbackClient.Endpoint?
        do {
            for _ in 0..<Self.attemptsMax {
                let picked: EndpointConnection
                let connection: H2ClientConnection
                switch lookUp() {
                case .ready(let ready, let open):
                    (picked, connection) = (ready, open)
                case .noneReady(let waiting, let failures):
                    let waitedFrom = ContinuousClock.now
                    (picked, connection) = try await firstToConnect(
                        waiting, failures: failures, within: options.timeout)
                    if let timeout = options.timeout {
                        options.timeout = timeout - (ContinuousClock.now - waitedFrom)
                    }
                }
                endpoint = picked.endpoint
                if let started = try await start(connection, options) {
                    return Outcome(endpoint: endpoint, result: .success(started))
                }
                // Nothing was sent: this connection is done; send it again on a new one.
                picked.discard(connection)
            }
            throw RPCError(
                .unavailable,
                "the server closed \(Self.attemptsMax) connections in a row before the call "
                    + "could be sent")
        } catch let committed as CommittedCallError {
            return Outcome(endpoint: endpoint, result: .failure(committed.error), committed: true)
        } catch {
            return Outcome(endpoint: endpoint, result: .failure(RPCError(clientFailure: error)))
        }
    }

    // MARK: Picking an endpoint

    /// What the endpoints offer a call, found without waiting.
    enum Lookup {
        /// Call on this endpoint's open connection.
        case ready(EndpointConnection, H2ClientConnection)
        /// None is up: the attempts under way, in the endpoints' order, and why the other
        /// endpoints cannot be used.
        case noneReady(
            waiting: [(EndpointConnection, Task<H2ClientConnection, any Error>)],
            failures: [RPCError])
    }

    /// Looks at the endpoints as ``CashbackClient/LoadBalancing`` says, starting the
    /// connection attempts that are due on the way.
    func lookUp() -> Lookup {
        var waiting: [(EndpointConnection, Task<H2ClientConnection, any Error>)] = []
        var failures: [RPCError] = []
        if balancing == .failover || endpoints.count == 1 {
            // The first that is up; the ones before it are reconnecting (their attempts start
            // here) or backing off, the ones after it stand by untouched.
            for endpoint in endpoints {
                switch endpoint.availability() {
                case .ready(let connection): return .ready(endpoint, connection)
                case .connecting(let attempt): waiting.append((endpoint, attempt))
                case .unavailable(let error): failures.append(error)
                }
            }
        } else {
            // Every endpoint is looked at, so that those whose backoff has passed reconnect.
            var ready: [(EndpointConnection, H2ClientConnection)] = []
            for endpoint in endpoints {
                switch endpoint.availability() {
                case .ready(let connection): ready.append((endpoint, connection))
                case .connecting(let attempt): waiting.append((endpoint, attempt))
                case .unavailable(let error): failures.append(error)
                }
            }
            if !ready.isEmpty {
                let turn = turn.wrappingAdd(1, ordering: .relaxed).oldValue
                let (endpoint, connection) = ready[Int(UInt(bitPattern: turn) % UInt(ready.count))]
                return .ready(endpoint, connection)
            }
        }
        return .noneReady(waiting: waiting, failures: failures)
    }

    /// The first of the attempts `waiting` to connect, as soon as it does.
    ///
    /// - Throws: ``RPCError`` UNAVAILABLE naming each endpoint and why it cannot be used (its
    ///   backoff and last error, or the attempt that just failed); DEADLINE_EXCEEDED when
    ///   `timeout` passes first; CANCELLED when the task is cancelled first; an attempt's
    ///   error other than UNAVAILABLE at once.
    private func firstToConnect(
        _ waiting: [(EndpointConnection, Task<H2ClientConnection, any Error>)],
        failures: [RPCError], within timeout: Duration?
    ) async throws(RPCError) -> (EndpointConnection, H2ClientConnection) {
        guard !waiting.isEmpty else { throw Self.noneAvailable(failures) }
        let names = waiting.map { "\($0.0.endpoint)" }.joined(separator: ", ")
        do {
            let (index, connection) = try await EndpointConnection.firstToConnect(
                waiting.map(\.1), within: timeout,
                deadline: "the deadline passed while connecting to \(names)",
                endsTheWait: { RPCError(clientFailure: $0).code != .unavailable })
            return (waiting[index].0, connection)
        } catch let all as EndpointConnection.AttemptsFailed {
            throw Self.noneAvailable(failures + all.failures.map(RPCError.init(clientFailure:)))
        } catch {
            throw RPCError(clientFailure: error)
        }
    }

    /// The error of a call that no endpoint can take: `failures`, one per endpoint.
    private static func noneAvailable(_ failures: [RPCError]) -> RPCError {
        guard failures.count > 1 else { return failures.first ?? EndpointConnection.closedError }
        return RPCError(
            .unavailable,
            "no endpoint is available: " + failures.map(\.message).joined(separator: "; "))
    }

    // MARK: Diagnostics and closing

    /// Connections opened so far, to every endpoint (for tests and diagnostics).
    var connectionsOpened: Int { endpoints.reduce(0) { $0 + $1.connectionsOpened } }

    /// Returns once every connection open now has closed.
    func waitUntilCurrentConnectionCloses() async {
        for endpoint in endpoints { await endpoint.waitUntilCurrentConnectionCloses() }
    }

    /// Closes every connection; later calls fail with UNAVAILABLE.
    func close() async {
        for endpoint in endpoints { await endpoint.close() }
    }
}
