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
/// most ``Limits/headBytesMax``, at most ``Limits/connectionsMax`` connections (more are closed
/// as they arrive), each closed after ``Limits/idleTimeout`` without a request. Keep-alive is
/// honoured, so a scraper may reuse its connection.
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
        /// Bytes of a request head (request line and header fields).
        public static let headBytesMax = 8192
        /// Seconds a connection may stay open without a request.
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
        let open = NIOLockedValueBox(0)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let admitted = open.withLockedValue { count -> Bool in
                    guard count < Limits.connectionsMax else { return false }
                    count += 1
                    return true
                }
                guard admitted else {
                    logger.warning(
                        "refusing a metrics connection: at the limit",
                        metadata: ["connections": "\(Limits.connectionsMax)"])
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in open.withLockedValue { $0 -= 1 } }
                return channel.eventLoop.makeCompletedFuture {
                    try addHandlers(
                        to: channel.pipeline.syncOperations, registry: registry, collect: collect)
                }
            }
            .bind(host: host, port: port).get()
        return MetricsListener(channel: channel)
    }

    /// The HTTP/1.1 server pipeline with the limits, then the `/metrics` handler.
    private static func addHandlers(
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
            IdleStateHandler(allTimeout: Limits.idleTimeout),
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
/// ignored).
private final class MetricsRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private let collect: @Sendable () -> Void
    private var head: HTTPRequestHead?

    init(registry: PrometheusCollectorRegistry, collect: @escaping @Sendable () -> Void) {
        self.registry = registry
        self.collect = collect
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
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
        } else if head.method != .GET {
            status = .methodNotAllowed
            headers.add(name: "allow", value: "GET")
            headers.add(name: "content-type", value: "text/plain; charset=utf-8")
            body.writeString("\(MetricsListener.path) answers GET only\n")
        } else {
            status = .ok
            headers.add(name: "content-type", value: MetricsListener.contentType)
            collect()
            body.writeBytes(registry.emitToBuffer())
        }
        headers.add(name: "content-length", value: "\(body.readableBytes)")
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

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
