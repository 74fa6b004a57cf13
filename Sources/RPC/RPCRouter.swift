import CompactCodec

/// What a handler knows about the call it serves.
public struct RPCServerContext: Sendable {
    /// The method called.
    public let method: MethodDescriptor
    /// The request's metadata (ordinary headers).
    public let metadata: Metadata
    /// The peer's address, for logs.
    public let peer: String

    /// Creates a context.
    public init(method: MethodDescriptor, metadata: Metadata, peer: String) {
        self.method = method
        self.metadata = metadata
        self.peer = peer
    }
}

/// Maps request paths to handlers. Transport-neutral: the HTTP/2 server and the in-process
/// transport both dispatch through it.
///
/// ```swift
/// var router = RPCRouter()
/// router.registerUnary(Wallet.Method.getBalance) { (request: GetBalanceRequest, context) in
///     try await wallet.getBalance(request, context: context)
/// }
/// ```
public struct RPCRouter: Sendable {
    /// A unary handler over raw message payloads; throws ``RPCError`` to choose the status.
    public typealias Handler = @Sendable ([UInt8], RPCServerContext) async throws(RPCError)
        -> [UInt8]

    private var handlers: [String: (MethodDescriptor, Handler)] = [:]

    /// Creates an empty router.
    public init() {}

    /// The registered methods, sorted by path.
    public var methods: [MethodDescriptor] {
        handlers.values.map(\.0).sorted { $0.path < $1.path }
    }

    /// Registers a unary method over raw payloads (for messages that are not of our codec).
    public mutating func registerRaw(_ method: MethodDescriptor, _ handler: @escaping Handler) {
        precondition(handlers[method.path] == nil, "\(method) is registered twice")
        handlers[method.path] = (method, handler)
    }

    /// Registers a unary method whose messages use the compact codec.
    ///
    /// A request that does not decode is answered INVALID_ARGUMENT without calling `body`.
    /// `body` throws ``RPCError`` to choose the status; any other error becomes UNKNOWN, and
    /// cancellation becomes CANCELLED.
    public mutating func registerUnary<Request: CompactMessage, Response: CompactMessage>(
        _ method: MethodDescriptor,
        _ body: @escaping @Sendable (Request, RPCServerContext) async throws -> Response
    ) {
        registerRaw(method) { (payload, context) throws(RPCError) in
            let request: Request
            do throws(CompactDecodingError) {
                request = try Request(compactBytes: payload)
            } catch {
                throw RPCError(
                    .invalidArgument, "malformed \(Request.schemaName): \(error.description)")
            }
            do {
                return try await body(request, context).compactBytes()
            } catch let error as RPCError {
                throw error
            } catch is CancellationError {
                throw RPCError(.cancelled, "the call was cancelled")
            } catch {
                throw RPCError(.unknown, "the handler failed")
            }
        }
    }

    /// The handler for a request path such as `/cashback.v1.Wallet/GetBalance`.
    public func handler(forPath path: String) -> (MethodDescriptor, Handler)? {
        handlers[path]
    }
}
