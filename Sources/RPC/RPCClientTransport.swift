/// Options of one client call.
public struct CallOptions: Sendable {
    /// How long the call may take; sent as `grpc-timeout`. `nil`: no deadline.
    public var timeout: Duration?
    /// Extra metadata to send (e.g. `authorization`).
    public var metadata: Metadata

    /// Creates options.
    public init(timeout: Duration? = nil, metadata: Metadata = Metadata()) {
        self.timeout = timeout
        self.metadata = metadata
    }
}

/// A client-side transport: sends one unary request and returns its response payload.
///
/// Implemented by the HTTP/2 client (module `H2`) and by ``InProcessClientTransport``.
public protocol RPCClientTransport: Sendable {
    /// Makes a unary call.
    ///
    /// - Returns: the response message payload (without the 5-byte prefix).
    /// - Throws: ``RPCError`` for every failure: the server's status, or UNAVAILABLE when the
    ///   call could not reach it.
    func unary(_ method: MethodDescriptor, request: [UInt8], options: CallOptions) async throws
        -> [UInt8]
}

/// A transport that calls a router in the same process: the fake edge for tests of handlers.
///
/// It enforces the same message size limit and unknown-method status as the HTTP/2 server.
public struct InProcessClientTransport: RPCClientTransport {
    private let router: RPCRouter
    private let limits: RPCLimits

    /// Creates a transport serving calls from `router`.
    public init(router: RPCRouter, limits: RPCLimits = .default) {
        self.router = router
        self.limits = limits
    }

    public func unary(_ method: MethodDescriptor, request: [UInt8], options: CallOptions)
        async throws -> [UInt8]
    {
        guard request.count <= limits.messageBytesMax else {
            throw RPCError(.resourceExhausted, "message exceeds \(limits.messageBytesMax) bytes")
        }
        guard let (descriptor, handler) = router.handler(forPath: method.path) else {
            throw RPCError(.unimplemented, "unknown method \(method.path)")
        }
        let context = RPCServerContext(
            method: descriptor, metadata: options.metadata, peer: "in-process")
        return try await handler(request, context)
    }
}
