import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RPC
import Synchronization

/// One HTTP/2 connection to a gRPC server, over TLS (ALPN `h2`) or cleartext (h2c, prior
/// knowledge); concurrent calls are multiplexed on it, one stream each.
///
/// ```swift
/// let connection = try await H2ClientConnection.connect(
///     host: "127.0.0.1", port: 50051, tls: TLSClientConfiguration(trustRootsPath: "ca.pem"))
/// let payload = try await connection.unary(method, request: bytes, options: CallOptions())
/// await connection.close()
/// ```
///
/// The connection does not reconnect: once it is closed, every call fails with UNAVAILABLE.
public final class H2ClientConnection: RPCClientTransport {
    /// The connection's channel (its socket options are read by tests).
    let channel: any Channel
    private let handler: NIOLoopBound<H2ClientConnectionHandler>
    /// Identifies calls for cancellation.
    private static let nextCallID = Atomic<UInt64>(0)

    /// Set when the server sent GOAWAY: no new call starts here.
    private let goingAway: NIOLockedValueBox<Bool>

    private init(
        channel: any Channel, handler: NIOLoopBound<H2ClientConnectionHandler>,
        goingAway: NIOLockedValueBox<Bool>
    ) {
        self.channel = channel
        self.handler = handler
        self.goingAway = goingAway
    }

    /// Connects to `host:port`; over TLS, returns once the handshake has finished with ALPN
    /// `h2`.
    ///
    /// - Parameters:
    ///   - tls: how to connect over TLS; `nil` connects in cleartext (h2c).
    ///   - limits: bounds on messages and streams (responses over the message limit fail).
    ///   - connectTimeout: how long to wait for TCP to connect (the TLS handshake has its own
    ///     timeout in `tls`).
    /// - Throws: ``TLSError`` when the TLS files cannot be used; ``RPCError`` UNAVAILABLE when
    ///   the server cannot be reached or the handshake fails (the message says why: an
    ///   untrusted certificate, another name, no ALPN `h2`).
    public static func connect(
        host: String, port: Int, tls: TLSClientConfiguration? = nil,
        limits: RPCLimits = .default, connectTimeout: Duration = .seconds(10),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> H2ClientConnection {
        precondition(limits.isValid, "inconsistent RPC limits: \(limits)")
        // Checked here, not left to the socket layer: a port over 65535 would wrap silently.
        guard (1...65_535).contains(port) else {
            throw RPCError(.invalidArgument, "port must be 1...65535, got \(port)")
        }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace) else {
            throw RPCError(.invalidArgument, "host must be a name or an address, got '\(host)'")
        }
        guard connectTimeout > .zero else {
            throw RPCError(.invalidArgument, "connectTimeout must be positive, got \(connectTimeout)")
        }
        // `[::1]:50051` for an IPv6 address, in `:authority` (RFC 3986) and in errors alike.
        let authority = HostAndPort(host: host, port: port).description
        let tlsContext = try tls.map { configuration throws(TLSError) in
            try TLSContext.client(configuration)
        }
        let serverName = tls?.serverName ?? host
        let handshake = group.any().makePromise(of: Void.self)
        let goingAway = NIOLockedValueBox(false)
        // The handler as it was added, so that a connection the server closes at once is
        // still returned (its calls then fail as not sent) instead of failing a lookup.
        let added = group.any().makePromise(of: NIOLoopBound<H2ClientConnectionHandler>.self)
        let serverSettings = group.any().makePromise(of: Void.self)
        let connectStart = ContinuousClock.now
        do {
            let channel = try await ClientBootstrap(group: group)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .deadPeerDetection()
                .connectTimeout(TimeAmount(clamping: connectTimeout))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tlsContext {
                            try channel.pipeline.syncOperations.addHandler(
                                TLSHandler(
                                    connection: try TLSConnection(
                                        context: tlsContext, serverName: serverName),
                                    handshakeTimeout: tlsContext.handshakeTimeout, logger: nil,
                                    handshakePromise: handshake))
                        } else {
                            handshake.succeed()
                        }
                        let handler = H2ClientConnectionHandler(
                            limits: limits, authority: authority,
                            scheme: tlsContext == nil ? "http" : "https", goingAway: goingAway,
                            serverSettings: serverSettings)
                        try channel.pipeline.syncOperations.addHandler(handler)
                        added.succeed(NIOLoopBound(handler, eventLoop: channel.eventLoop))
                    }
                }
                .connect(host: host, port: port).get()
            let connected = ContinuousClock.now
            let setup: RPCConnectionSetup
            do {
                try await handshake.futureResult.get()
                setup = RPCConnectionSetup(
                    connect: connected - connectStart,
                    tlsHandshake: tlsContext == nil ? nil : ContinuousClock.now - connected)
                // The first call must know the server's limits: a request over its
                // SETTINGS_MAX_HEADER_LIST_SIZE is then refused before sending, naming it,
                // rather than reset by the server.
                try await Self.wait(for: serverSettings, on: channel, within: connectTimeout)
            } catch {
                channel.close(promise: nil)
                throw error
            }
            let handler = try await added.futureResult.get()
            // Queued on the loop ahead of any call, which is started there after this returns.
            channel.eventLoop.execute { handler.value.unreportedSetup = setup }
            return H2ClientConnection(channel: channel, handler: handler, goingAway: goingAway)
        } catch {
            // The promises must not be left pending when the connection never got that far.
            handshake.fail(ChannelError.ioOnClosedChannel)
            added.fail(ChannelError.ioOnClosedChannel)
            serverSettings.fail(ChannelError.ioOnClosedChannel)
            throw RPCError(
                .unavailable, "cannot connect to \(authority): \(Self.explain(error, connectTimeout))")
        }
    }

    /// Waits until `settings` completes, failing it after `timeout` (a server that accepts the
    /// connection but never speaks HTTP/2).
    private static func wait(
        for settings: EventLoopPromise<Void>, on channel: any Channel, within timeout: Duration
    ) async throws {
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(clamping: timeout)) {
            settings.fail(NoServerSettings(timeout: timeout))
        }
        defer { timer.cancel() }
        try await settings.futureResult.get()
    }

    /// The server accepted the connection but sent no HTTP/2 SETTINGS in time.
    private struct NoServerSettings: Error, CustomStringConvertible {
        let timeout: Duration
        var description: String {
            "no HTTP/2 SETTINGS from the server within \(timeout) — is it a gRPC server, and TLS "
                + "or cleartext as the client is?"
        }
    }

    /// Why a connection failed, in words a user acts on: the socket's error and what it
    /// probably means, not NIO's types.
    static func explain(_ error: any Error, _ connectTimeout: Duration) -> String {
        var cause: any Error = error
        if let failed = error as? NIOConnectionError {
            if let first = failed.connectionErrors.first {
                cause = first.error
            } else if let resolution = failed.dnsAError ?? failed.dnsAAAAError {
                return "cannot resolve the host name (\(resolution))"
            }
        }
        if let io = cause as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED: return "connection refused — is cashbackd running?"
            case ETIMEDOUT: return "timed out — is the host up, and the port open?"
            case EHOSTUNREACH, ENETUNREACH: return "no route to the host"
            default: return String(cString: strerror(io.errnoCode))
            }
        }
        if case ChannelError.connectTimeout = cause {
            return "no answer within \(connectTimeout) — is the host up, and the port open?"
        }
        return "\(cause)"
    }

    public func unary(_ method: MethodDescriptor, request: [UInt8], options: CallOptions)
        async throws -> [UInt8]
    {
        do {
            return try await send(method, request: request, options: options)
        } catch let notStarted as CallNotStarted {
            throw notStarted.error
        } catch let committed as CommittedCallError {
            throw committed.error
        }
    }

    /// Makes a unary call, or returns `nil` without sending anything when this connection can
    /// no longer start a call (it closed, or the server told it to go away): the caller may
    /// then send the same request on a new connection, whatever the method, as nothing of it
    /// reached the server.
    ///
    /// - Throws: ``CommittedCallError`` when the call failed after the server's response
    ///   headers (a retrying caller must not send it again), else the call's ``RPCError``.
    public func unaryIfOpen(_ method: MethodDescriptor, request: [UInt8], options: CallOptions)
        async throws -> [UInt8]?
    {
        do {
            return try await send(method, request: request, options: options)
        } catch is CallNotStarted {
            return nil
        }
    }

    private func send(_ method: MethodDescriptor, request: [UInt8], options: CallOptions)
        async throws -> [UInt8]
    {
        let promise = channel.eventLoop.makePromise(of: [UInt8].self)
        let id = Self.nextCallID.wrappingAdd(1, ordering: .relaxed).newValue
        let handler = self.handler
        return try await withTaskCancellationHandler {
            channel.eventLoop.execute {
                handler.value.startCall(
                    method, request: request, options: options, token: id, promise: promise)
            }
            // A task cancelled before this point ran `onCancel` ahead of `startCall`, which
            // then found nothing to cancel: cancel again, after the start.
            if Task.isCancelled {
                channel.eventLoop.execute { handler.value.cancelCall(token: id) }
            }
            return try await promise.futureResult.get()
        } onCancel: {
            channel.eventLoop.execute { handler.value.cancelCall(token: id) }
        }
    }

    /// Makes a server-streaming call when the returned sequence is iterated (see
    /// ``RPCRawResponseStream``): the messages are taken one at a time, and the server can
    /// send at most one stream window ahead of what the consumer has taken.
    public func serverStreaming(
        _ method: MethodDescriptor, request: [UInt8], options: CallOptions
    ) -> RPCRawResponseStream {
        RPCRawResponseStream {
            do {
                return try await self.openStream(method, request: request, options: options)
            } catch let notStarted as CallNotStarted {
                throw notStarted.error
            }
        }
    }

    /// Starts a server-streaming call and returns the buffer its messages arrive in, or
    /// returns `nil` without sending anything when this connection can no longer start a
    /// call (as ``unaryIfOpen(_:request:options:)``).
    public func serverStreamIfOpen(
        _ method: MethodDescriptor, request: [UInt8], options: CallOptions
    ) async throws -> RPCMessageBuffer? {
        do {
            return try await openStream(method, request: request, options: options)
        } catch is CallNotStarted {
            return nil
        }
    }

    private func openStream(_ method: MethodDescriptor, request: [UInt8], options: CallOptions)
        async throws -> RPCMessageBuffer
    {
        let loop = channel.eventLoop
        let started = loop.makePromise(of: Void.self)
        let id = Self.nextCallID.wrappingAdd(1, ordering: .relaxed).newValue
        let handler = self.handler
        let buffer = RPCMessageBuffer(
            onTake: { _, stillQueued in
                loop.execute { handler.value.messageTaken(token: id, stillQueued: stillQueued) }
            },
            onCancel: {
                loop.execute { handler.value.cancelCall(token: id) }
            })
        loop.execute {
            handler.value.startStreamingCall(
                method, request: request, options: options, token: id, buffer: buffer,
                started: started)
        }
        try await started.futureResult.get()
        return buffer
    }

    /// Whether the connection is still open (it may still be told to go away at any time).
    public var isOpen: Bool { channel.isActive && !goingAway.withLockedValue { $0 } }

    /// Returns once the connection has closed, whichever side closed it (a server's idle
    /// timeout or shutdown, a network failure, ``close()``). A client reconnects after it.
    public func waitUntilClosed() async {
        try? await channel.closeFuture.get()
    }

    /// Closes the connection; calls in flight fail with UNAVAILABLE.
    public func close() async {
        try? await channel.close()
    }
}

/// How a client connection notices a server that is gone without closing it (a power cut, a
/// network that drops its packets): TCP itself finds out, with nothing sent over HTTP/2 (a
/// server counts a client's idle PINGs as strikes).
enum DeadPeerDetection {
    /// Idle this long, the connection starts TCP keepalive probes...
    static let keepaliveIdleSeconds = 30
    /// ...one every this many seconds...
    static let keepaliveIntervalSeconds = 10
    /// ...and closes when this many go unanswered (where `TCP_USER_TIMEOUT` is not set).
    static let keepaliveProbes = 3
    /// Nothing acknowledged for this long closes the connection (Linux `TCP_USER_TIMEOUT`;
    /// otherwise TCP retransmits for about 15 minutes). It also governs the probes: the first
    /// unanswered once this has passed closes it, about 40 s after the last sign of life.
    static let unacknowledgedMilliseconds = 30_000
}

extension ClientBootstrap {
    /// TCP keepalive and a bound on unacknowledged data (``DeadPeerDetection``): calls on a
    /// connection to a server that is gone fail with UNAVAILABLE within about 40 s, and the
    /// next ones go to a new connection, instead of waiting for their deadlines one after the
    /// other.
    func deadPeerDetection() -> ClientBootstrap {
        func tcp(_ name: Int32) -> ChannelOptions.Types.SocketOption {
            ChannelOptions.Types.SocketOption(
                level: .tcp, name: NIOBSDSocket.Option(rawValue: name))
        }
        var bootstrap = self.channelOption(.socketOption(.so_keepalive), value: 1)
        #if os(Linux)
            bootstrap = bootstrap
                .channelOption(tcp(TCP_KEEPIDLE), value: DeadPeerDetection.keepaliveIdleSeconds)
                .channelOption(
                    tcp(TCP_KEEPINTVL), value: DeadPeerDetection.keepaliveIntervalSeconds)
                .channelOption(tcp(TCP_KEEPCNT), value: DeadPeerDetection.keepaliveProbes)
                .channelOption(
                    tcp(TCP_USER_TIMEOUT), value: DeadPeerDetection.unacknowledgedMilliseconds)
        #endif
        return bootstrap
    }
}
