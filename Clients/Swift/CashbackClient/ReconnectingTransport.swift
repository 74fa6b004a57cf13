import H2
import NIOCore
import RPC

/// A client transport that opens a new HTTP/2 connection when the current one has closed
/// (the server's idle timeout, a restart, a network failure), so a long-lived client keeps
/// working. A call whose request could not be sent at all (the connection had closed, or the
/// server had told it to go away) is sent on a new connection, as nothing of it reached the
/// server. Calls in flight when a connection drops fail with UNAVAILABLE; they are not retried
/// here, because only the caller knows whether its command is safe to repeat (the Cashback
/// ledger commands are idempotent, so replaying them is).
final class ReconnectingTransport: RPCClientTransport {
    private let holder: ConnectionHolder

    /// Where and how to connect, each time.
    struct Endpoint: Sendable {
        var host: String
        var port: Int
        var tls: TLSClientConfiguration?
        var limits: RPCLimits
        var connectTimeout: Duration
        /// The event loop every connection to the endpoint lives on.
        var eventLoop: any EventLoop

        func connect() async throws -> H2ClientConnection {
            try await H2ClientConnection.connect(
                host: host, port: port, tls: tls, limits: limits, connectTimeout: connectTimeout,
                group: eventLoop)
        }
    }

    init(first: H2ClientConnection, endpoint: Endpoint) {
        holder = ConnectionHolder(current: first, endpoint: endpoint)
    }

    /// Connections tried for one call whose request could not be sent (each closed, or was
    /// told to go away, before the call started).
    static let attemptsMax = 3

    func unary(_ method: MethodDescriptor, request: [UInt8], options: CallOptions)
        async throws -> [UInt8]
    {
        try await Self.onOpenConnection(holder) { connection in
            try await connection.unaryIfOpen(method, request: request, options: options)
        }
    }

    func serverStreaming(_ method: MethodDescriptor, request: [UInt8], options: CallOptions)
        -> RPCRawResponseStream
    {
        RPCRawResponseStream { [holder] in
            try await Self.onOpenConnection(holder) { connection in
                try await connection.serverStreamIfOpen(method, request: request, options: options)
            }
        }
    }

    /// Starts a call with `start` on the open connection, or on a new one when `start`
    /// returns `nil` (nothing was sent).
    private static func onOpenConnection<T>(
        _ holder: ConnectionHolder, _ start: (H2ClientConnection) async throws -> T?
    ) async throws -> T {
        for _ in 0..<Self.attemptsMax {
            let connection = try await holder.open()
            if let started = try await start(connection) { return started }
            // Nothing was sent: this connection is done; send it again on a new one.
            await holder.discard(connection)
        }
        throw RPCError(
            .unavailable,
            "the server closed \(Self.attemptsMax) connections in a row before the call could "
                + "be sent")
    }

    /// Connections opened so far, the first included (for tests and diagnostics).
    var connectionsOpened: Int {
        get async { await holder.connectionsOpened }
    }

    /// Returns once the current connection has closed.
    func waitUntilCurrentConnectionCloses() async {
        await holder.current?.waitUntilClosed()
    }

    /// Closes the connection; later calls fail with UNAVAILABLE.
    func close() async {
        await holder.close()
    }
}

/// Serialises connecting, so that concurrent calls after a drop share one new connection.
private actor ConnectionHolder {
    private(set) var current: H2ClientConnection?
    private var connecting: Task<H2ClientConnection, any Error>?
    private var isClosed = false
    private(set) var connectionsOpened = 1
    private let endpoint: ReconnectingTransport.Endpoint

    init(current: H2ClientConnection, endpoint: ReconnectingTransport.Endpoint) {
        self.current = current
        self.endpoint = endpoint
    }

    /// The open connection, connecting again if the last one has closed.
    func open() async throws -> H2ClientConnection {
        guard !isClosed else { throw RPCError(.unavailable, "the client is closed") }
        if let current, current.isOpen { return current }
        // Actors are reentrant: callers arriving while a connection is being made wait for
        // that same attempt instead of starting their own.
        if let connecting { return try await connecting.value }
        let endpoint = self.endpoint
        let attempt = Task { try await endpoint.connect() }
        connecting = attempt
        defer { connecting = nil }
        let connection = try await attempt.value
        connectionsOpened += 1
        current = connection
        return connection
    }

    func close() async {
        isClosed = true
        await current?.close()
    }

    /// Forgets `connection` (it can start no more calls) so that the next call connects anew.
    /// Its calls in flight go on: it closes itself once the server has answered them.
    func discard(_ connection: H2ClientConnection) {
        guard current === connection else { return }
        current = nil
    }
}
