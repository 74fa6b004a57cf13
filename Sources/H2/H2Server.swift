import Logging
import NIOCore
import NIOPosix
import RPC
import NIOConcurrencyHelpers

/// A gRPC-over-HTTP/2 server: over TLS with ALPN `h2` when given credentials, else on
/// cleartext TCP with prior knowledge (h2c).
///
/// ```swift
/// let credentials = try TLSServerCredentials(
///     TLSServerConfiguration(certificateChainPath: "cert.pem", privateKeyPath: "key.pem"))
/// let server = try await H2Server.bind(
///     host: "127.0.0.1", port: 50051, router: router, tls: credentials)
/// print("listening on", server.localAddress)
/// await server.shutdownGracefully()
/// ```
public final class H2Server: Sendable {
    /// The address the server listens on (with the real port when bound to port 0).
    public let localAddress: SocketAddress
    private let serverChannel: any Channel
    private let connections: ConnectionSet
    private let calls: ServerCalls
    private let logger: Logger
    private let metrics: H2ServerMetrics

    private init(
        serverChannel: any Channel, connections: ConnectionSet, calls: ServerCalls, logger: Logger,
        metrics: H2ServerMetrics
    ) {
        self.serverChannel = serverChannel
        self.localAddress = serverChannel.localAddress!
        self.connections = connections
        self.calls = calls
        self.logger = logger
        self.metrics = metrics
    }

    /// Binds and starts serving.
    ///
    /// - Parameters:
    ///   - host: the address to listen on, e.g. `127.0.0.1`.
    ///   - port: the port; 0 picks a free one (see ``localAddress``).
    ///   - router: the methods to serve.
    ///   - limits: bounds on every connection and message.
    ///   - tls: the certificate (and client-certificate policy) to serve TLS with; each new
    ///     connection takes the credentials' current context. `nil` serves cleartext h2c.
    ///   - group: the event loops; NIO's shared group unless given.
    ///   - logger: where connection-level events go.
    ///   - metrics: what connections and streams are counted into; nothing unless given.
    /// - Throws: when the address cannot be bound.
    public static func bind(
        host: String, port: Int, router: RPCRouter, limits: RPCLimits = .default,
        tls: TLSServerCredentials? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "cashback.h2"),
        metrics: H2ServerMetrics = .disabled
    ) async throws -> H2Server {
        precondition(limits.isValid, "inconsistent RPC limits: \(limits)")
        let connections = ConnectionSet(metrics: metrics)
        // One budget for every line a peer makes the server write (PeerLogBudget).
        let peerLog = PeerLogBudget()
        let calls = ServerCalls()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let streams = OpenStreams()
                switch connections.insert(
                    channel, streams: streams, max: limits.connectionsMax,
                    perPeerMax: limits.connectionsPerPeerMax)
                {
                case .added: break
                case .atLimit:
                    peerLog.log(
                        .warning, "refusing a connection: at the limit",
                        metadata: ["connections": "\(limits.connectionsMax)"], to: logger)
                    return channel.close()
                case .peerAtLimit(let peer):
                    peerLog.log(
                        .warning, "refusing a connection: its peer address is at the limit",
                        metadata: [
                            "peer": "\(peer)", "connections": "\(limits.connectionsPerPeerMax)",
                        ], to: logger)
                    return channel.close()
                case .draining:
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        let context = tls.context
                        try channel.pipeline.syncOperations.addHandler(
                            TLSHandler(
                                connection: try TLSConnection(context: context, serverName: nil),
                                handshakeTimeout: context.handshakeTimeout, logger: logger,
                                peerLog: peerLog))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        H2ServerConnectionHandler(
                            router: router, limits: limits, calls: calls, logger: logger,
                            openStreams: streams, peerLog: peerLog))
                }
            }
            .bind(host: host, port: port).get()
        return H2Server(
            serverChannel: channel, connections: connections, calls: calls, logger: logger,
            metrics: metrics)
    }

    /// The number of open connections.
    public var connectionCount: Int { connections.count }

    /// The number of HTTP/2 streams open over every connection.
    public var openStreamCount: Int { connections.openStreamCount }

    /// Sets the metrics' gauges to the connections and streams open now: call it before they
    /// are read (a scrape).
    public func recordGauges() {
        metrics.connectionsOpen.record(connectionCount)
        metrics.streamsActive.record(openStreamCount)
    }

    /// The number of handlers running, including those whose stream or connection is gone.
    public var runningHandlerCount: Int { calls.count }

    /// Stops accepting, lets calls in flight finish, closes every connection, and returns once
    /// every handler the server started has returned: after it, nothing of the server touches
    /// what the handlers use, so the caller may close it.
    ///
    /// Each connection gets GOAWAY at once (a notice, then the final one); it closes when its
    /// last call is answered, or after `gracePeriod` at the latest. Handlers still running
    /// then (their caller cancelled, or their connection closed) are cancelled, and waited for.
    public func shutdownGracefully(gracePeriod: Duration = .seconds(30)) async {
        try? await serverChannel.close()
        // From here on, a connection accepted in the meantime is drained as it is added.
        let open = connections.startDraining()
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(H2DrainEvent())
            let forced = channel.eventLoop.scheduleTask(in: TimeAmount(clamping: gracePeriod)) {
                channel.close(promise: nil)
            }
            channel.closeFuture.whenComplete { _ in forced.cancel() }
        }
        for channel in open { try? await channel.closeFuture.get() }
        // Handlers that outlived their streams still run: the server owns them until they
        // return. Each was cancelled when its stream or its connection ended, so by now
        // (every connection closed, at the end of the grace period at the latest) every one
        // still running has been asked to stop.
        let running = calls.count
        if running > 0 {
            logger.info("waiting for running handlers", metadata: ["handlers": "\(running)"])
            await calls.waitUntilIdle()
        }
        logger.info("server stopped", metadata: ["connections": "\(open.count)"])
    }
}

/// The open connections of a server, so that shutdown can reach each one.
private final class ConnectionSet: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: (channel: any Channel, streams: OpenStreams)] = [:]
        var counts = ConnectionCounts()
        var isDraining = false
    }

    private let state = NIOLockedValueBox(State())
    private let metrics: H2ServerMetrics

    init(metrics: H2ServerMetrics) {
        self.metrics = metrics
    }

    enum Admission: Equatable {
        case added
        case atLimit
        /// This address already holds its share of the connections.
        case peerAtLimit(String)
        /// Accepted in the race with shutdown: refused, so that shutdown's wait for the
        /// connections and their handlers covers every call the server will ever start.
        case draining
    }

    /// Adds a channel (and the count of its open streams) unless `max` are open, or
    /// `perPeerMax` from its address, or the server drains; it leaves the set when it closes.
    func insert(_ channel: any Channel, streams: OpenStreams, max: Int, perPeerMax: Int)
        -> Admission
    {
        let id = ObjectIdentifier(channel)
        let peer = channel.remoteAddress?.ipAddress ?? "unknown"
        let admission = state.withLockedValue { state -> Admission in
            guard !state.isDraining else { return .draining }
            switch state.counts.admit(peer: peer, max: max, perPeerMax: perPeerMax) {
            case .atLimit: return .atLimit
            case .peerAtLimit(let peer): return .peerAtLimit(peer)
            case nil:
                state.channels[id] = (channel, streams)
                return .added
            }
        }
        guard admission == .added else { return admission }
        metrics.connectionsAccepted.increment()
        channel.closeFuture.whenComplete { _ in
            self.state.withLockedValue { state in
                state.channels.removeValue(forKey: id)
                state.counts.release(peer: peer)
            }
        }
        return .added
    }

    /// Marks the set as draining and returns the channels open now.
    func startDraining() -> [any Channel] {
        state.withLockedValue { state in
            state.isDraining = true
            return state.channels.values.map(\.channel)
        }
    }

    var count: Int { state.withLockedValue { $0.channels.count } }

    /// The streams open over every connection.
    var openStreamCount: Int {
        state.withLockedValue { $0.channels.values.reduce(0) { $0 + $1.streams.value } }
    }
}
