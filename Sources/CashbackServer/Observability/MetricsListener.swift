import H2
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// The admin listener: `GET /metrics` over HTTP/1.1 answers the registry in Prometheus's text
/// exposition format (after `collect`, which brings what is tallied elsewhere into it); any
/// other path is 404, any other method on `/metrics` 405.
///
/// Kept small on purpose, since anyone who can reach the port can use it: request heads of at
/// most ``Limits/headBytesMax``; at most ``Limits/connectionsMax`` connections, and
/// ``Limits/connectionsPerPeerMax`` from one address (more are closed as they arrive); a first
/// request in full within ``Limits/requestTimeout`` of connecting, and each later one within
/// ``Limits/idleTimeout`` of the answer before it, however slowly its bytes trickle in.
/// Keep-alive is honoured, so a scraper may reuse its connection. `HEAD` is answered as `GET`,
/// without the body.
///
/// ```swift
/// let listener = try await MetricsListener.bind(
///     host: "127.0.0.1", port: 9464, registry: registry, logger: logger)
/// // curl http://127.0.0.1:9464/metrics
/// await listener.close()
/// ```
public final class MetricsListener: Sendable {
    /// Bounds on what the listener accepts.
    public enum Limits {
        /// Connections open at once.
        public static let connectionsMax = 16
        /// Connections open at once from one address: one client cannot take every slot.
        public static let connectionsPerPeerMax = 4
        /// Bytes of a request head (request line and header fields).
        public static let headBytesMax = 8192
        /// How long a new connection has to deliver its first request in full.
        public static let requestTimeout = TimeAmount.seconds(10)
        /// How long a kept-alive connection has, after an answer, to deliver the next request
        /// in full.
        public static let idleTimeout = TimeAmount.seconds(60)
    }

    /// The path served.
    public static let path = "/metrics"
    /// The content type of Prometheus's text format 0.0.4.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The address listened on (with the real port when bound to port 0).
    public let localAddress: SocketAddress
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
        self.localAddress = channel.localAddress!
    }

    /// Binds and starts serving `registry`.
    ///
    /// - Parameters:
    ///   - collect: called before each scrape, to bring into the registry what is kept
    ///     elsewhere (tallies, gauges sampled on demand).
    /// - Throws: when the address cannot be bound (`CashbackServer` turns it into a
    ///   ``ListenError`` naming `--metrics-listen`).
    public static func bind(
        host: String, port: Int, registry: PrometheusCollectorRegistry,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger, collect: @escaping @Sendable () -> Void = {}
    ) async throws -> MetricsListener {
        let open = NIOLockedValueBox(ConnectionCounts())
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let peer = channel.remoteAddress?.ipAddress ?? "unknown"
                let refusal = open.withLockedValue {
                    $0.admit(
                        peer: peer, max: Limits.connectionsMax,
                        perPeerMax: Limits.connectionsPerPeerMax)
                }
                switch refusal {
                case .atLimit:
                    logger.warning(
                        "refusing a metrics connection: at the limit",
                        metadata: ["connections": "\(Limits.connectionsMax)"])
                    return channel.close()
                case .peerAtLimit:
                    logger.warning(
                        "refusing a metrics connection: its peer address is at the limit",
                        metadata: [
                            "peer": "\(peer)", "connections": "\(Limits.connectionsPerPeerMax)",
                        ])
                    return channel.close()
                case nil:
                    break
                }
                channel.closeFuture.whenComplete { _ in
                    open.withLockedValue { $0.release(peer: peer) }
                }
                return channel.eventLoop.makeCompletedFuture {
                    try addHandlers(
                        to: channel.pipeline.syncOperations, registry: registry, collect: collect)
                }
            }
            .bind(host: host, port: port).get()
        return MetricsListener(channel: channel)
    }

    /// The HTTP/1.1 server pipeline with the limits, then the `/metrics` handler.
    static func addHandlers(
        to pipeline: ChannelPipeline.SynchronousOperations, registry: PrometheusCollectorRegistry,
        collect: @escaping @Sendable () -> Void
    ) throws {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = Limits.headBytesMax
        limits.maxHeaderListSize = Limits.headBytesMax
        limits.maxHeaderFieldCount = 64
        // NIO's configureHTTPServerPipeline, with the decoder's buffer bounded too: the
        // header limits do not count the request line, which the buffer holds until it ends.
        try pipeline.addHandlers([
            HTTPResponseEncoder(),
            ByteToMessageHandler(
                HTTPRequestDecoder(limitConfiguration: limits),
                maximumBufferSize: 2 * Limits.headBytesMax),
            HTTPServerPipelineHandler(),
            HTTPServerProtocolErrorHandler(),
            MetricsRequestHandler(registry: registry, collect: collect),
        ])
    }

    /// Stops listening; connections open now finish their request and close when idle.
    public func close() async {
        try? await channel.close()
    }
}

/// Answers each request on one connection once it has arrived in full (its body, if any,
/// ignored), and closes the connection when a request has not arrived in full in time (see
/// ``MetricsListener/Limits``): reads do not move the deadline, so bytes that trickle in
/// cannot hold a connection.
private final class MetricsRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private let collect: @Sendable () -> Void
    private var head: HTTPRequestHead?
    /// Closes the connection unless the next request has arrived in full first.
    private var deadline: Scheduled<Void>?

    init(registry: PrometheusCollectorRegistry, collect: @escaping @Sendable () -> Void) {
        self.registry = registry
        self.collect = collect
    }

    func handlerAdded(context: ChannelHandlerContext) {
        armDeadline(in: MetricsListener.Limits.requestTimeout, context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    private func armDeadline(in timeout: TimeAmount, context: ChannelHandlerContext) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
            armDeadline(in: MetricsListener.Limits.idleTimeout, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        var headers = HTTPHeaders()
        let status: HTTPResponseStatus
        var body = context.channel.allocator.buffer(capacity: 0)
        if path != MetricsListener.path {
            status = .notFound
            headers.add(name: "content-type", value: "text/plain; charset=utf-8")
            body.writeString("not found: metrics are at \(MetricsListener.path)\n")
        } else if head.method != .GET, head.method != .HEAD {
            status = .methodNotAllowed
            headers.add(name: "allow", value: "GET, HEAD")
            headers.add(name: "content-type", value: "text/plain; charset=utf-8")
            body.writeString("\(MetricsListener.path) answers GET and HEAD only\n")
        } else {
            status = .ok
            headers.add(name: "content-type", value: MetricsListener.contentType)
            collect()
            body.writeBytes(registry.emitToBuffer())
        }
        headers.add(name: "content-length", value: "\(body.readableBytes)")
        // A HEAD answer has the GET answer's headers and no body (RFC 9110 §9.3.2).
        if head.method == .HEAD { body.clear() }
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "connection", value: "close") }
        let response = HTTPResponseHead(version: head.version, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
