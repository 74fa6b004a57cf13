/// Watches one client call's header blocks as the transport sends and receives them: for tools
/// that show the exchange (`cashback-probe -v`), not for application logic.
///
/// Set it in ``CallOptions/observer``. The HTTP/2 transport calls it on its connection's event
/// loop, in the order the blocks go out and come in, and before the call returns or throws; an
/// observer must therefore be quick and must not block. ``InProcessClientTransport`` has no
/// header blocks and calls nothing. A call left unobserved (the default, `nil`) costs nothing:
/// no field list is kept for it.
///
/// ```swift
/// final class Recorder: RPCCallObserver {
///     let trailers = NIOLockedValueBox<[Metadata.Field]>([])
///     func didSendRequestHeaders(_ fields: [Metadata.Field], newConnection: RPCConnectionSetup?) {}
///     func didReceiveResponseHeaders(_ fields: [Metadata.Field]) {}
///     func didReceiveTrailers(_ fields: [Metadata.Field]) { trailers.withLockedValue { $0 = fields } }
/// }
/// let payload = try await transport.unary(
///     method, request: bytes, options: CallOptions(observer: Recorder()))
/// ```
public protocol RPCCallObserver: Sendable {
    /// The request's header block was handed to the connection: every field as sent,
    /// pseudo-headers first, `authorization` included (an observer that prints them must
    /// redact it).
    ///
    /// - Parameter newConnection: how the connection was set up, when this call is the first
    ///   one started on it (the connection was opened for it); `nil` on a connection that
    ///   served calls before.
    func didSendRequestHeaders(_ fields: [Metadata.Field], newConnection: RPCConnectionSetup?)

    /// The response's header block arrived (`:status`, `content-type`…). A trailers-only
    /// response (one block that ends the stream, as an error often is) has no such block: it
    /// goes to ``didReceiveTrailers(_:)`` alone.
    func didReceiveResponseHeaders(_ fields: [Metadata.Field])

    /// The block that ended the response arrived: `grpc-status`, `grpc-message` (as sent,
    /// percent-encoded) and any other trailer. Not called for a call that ends without one (a
    /// reset stream, a deadline, a dropped connection).
    func didReceiveTrailers(_ fields: [Metadata.Field])
}

/// How long a client connection took to set up, from the start of connecting.
public struct RPCConnectionSetup: Hashable, Sendable {
    /// Until the transport connection was made (TCP connected; a host name's resolution
    /// included).
    public var connect: Duration
    /// The TLS handshake after that, until ALPN `h2` was agreed; `nil` for a cleartext
    /// connection.
    public var tlsHandshake: Duration?

    /// Creates the figures of one connection.
    public init(connect: Duration, tlsHandshake: Duration?) {
        self.connect = connect
        self.tlsHandshake = tlsHandshake
    }
}
