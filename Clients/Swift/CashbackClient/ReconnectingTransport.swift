import H2
import RPC

/// A client transport that opens a new HTTP/2 connection when the current one has closed
/// (the server's idle timeout, a restart, a network failure), so a long-lived client keeps
/// working. Calls in flight when a connection drops fail with UNAVAILABLE; they are not
/// retried here, because only the caller knows whether its command is safe to repeat (the
/// Cashback ledger commands are idempotent, so replaying them is).
final class ReconnectingTransport: RPCClientTransport {
    private let holder: ConnectionHolder

    init(
        first: H2ClientConnection, host: String, port: Int, limits: RPCLimits,
        connectTimeout: Duration
    ) {
        holder = ConnectionHolder(
            current: first, host: host, port: port, limits: limits,
            connectTimeout: connectTimeout)
    }

    func unary(_ method: MethodDescriptor, request: [UInt8], options: CallOptions)
        async throws -> [UInt8]
    {
        let connection = try await holder.open()
        return try await connection.unary(method, request: request, options: options)
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
    private let host: String
    private let port: Int
    private let limits: RPCLimits
    private let connectTimeout: Duration

    init(
        current: H2ClientConnection, host: String, port: Int, limits: RPCLimits,
        connectTimeout: Duration
    ) {
        self.current = current
        self.host = host
        self.port = port
        self.limits = limits
        self.connectTimeout = connectTimeout
    }

    /// The open connection, connecting again if the last one has closed.
    func open() async throws -> H2ClientConnection {
        guard !isClosed else { throw RPCError(.unavailable, "the client is closed") }
        if let current, current.isOpen { return current }
        // Actors are reentrant: callers arriving while a connection is being made wait for
        // that same attempt instead of starting their own.
        if let connecting { return try await connecting.value }
        let (host, port, limits, timeout) = (host, port, limits, connectTimeout)
        let attempt = Task {
            try await H2ClientConnection.connect(
                host: host, port: port, limits: limits, connectTimeout: timeout)
        }
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
}
