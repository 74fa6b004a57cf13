import CompactCodec

/// What a handler knows about the call it serves.
public struct RPCServerContext: Sendable {
    /// The method called.
    public let method: MethodDescriptor
    /// The request's metadata (ordinary headers).
    public let metadata: Metadata
    /// The peer's address, for logs.
    public let peer: String
    /// Who is calling, once the router's ``RPCAccessControl`` has authenticated the call;
    /// `nil` for a method open to anyone, or on a router without access control.
    public var caller: RPCCaller?

    /// Creates a context.
    public init(method: MethodDescriptor, metadata: Metadata, peer: String, caller: RPCCaller? = nil) {
        self.method = method
        self.metadata = metadata
        self.peer = peer
        self.caller = caller
    }
}

/// An authenticated caller, as access control found it.
public struct RPCCaller: Sendable, Hashable {
    /// The caller's name: what logs and audit records show as the actor.
    public var name: String
    /// The one resource the caller may act for (a merchant id, say); `nil`: any.
    public var boundTo: String?

    /// Creates a caller.
    public init(name: String, boundTo: String? = nil) {
        self.name = name
        self.boundTo = boundTo
    }
}

/// Decides whether a call may run, in two steps, before its handler and before anything is
/// written: ``admit(_:)`` before the request is decoded (who calls, and may they call this
/// method at all), then ``authorize(_:context:)`` with the decoded request (may they act on
/// what it names).
public protocol RPCAccessControl: Sendable {
    /// Authenticates the call and checks the method against the caller's rights.
    ///
    /// - Returns: the caller, or `nil` for a method open to anyone.
    /// - Throws: ``RPCError`` UNAUTHENTICATED (no or unknown credentials) or PERMISSION_DENIED.
    func admit(_ context: RPCServerContext) async throws(RPCError) -> RPCCaller?

    /// Checks the decoded request against the caller (the raw payload for raw methods).
    ///
    /// - Throws: ``RPCError`` PERMISSION_DENIED.
    func authorize(_ request: any Sendable, context: RPCServerContext) throws(RPCError)
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
    /// Checks every call before its handler runs; `nil`: every method is open.
    private let accessControl: (any RPCAccessControl)?

    /// Creates an empty router.
    ///
    /// - Parameter accessControl: checks every call of every method registered from here on,
    ///   before the request is decoded and again once it is; `nil` leaves every method open.
    public init(accessControl: (any RPCAccessControl)? = nil) {
        self.accessControl = accessControl
    }

    /// The registered methods, sorted by path.
    public var methods: [MethodDescriptor] {
        handlers.values.map(\.0).sorted { $0.path < $1.path }
    }

    /// Registers a unary method over raw payloads (for messages that are not of our codec).
    ///
    /// Access control sees the raw payload as the request.
    public mutating func registerRaw(_ method: MethodDescriptor, _ handler: @escaping Handler) {
        guard let accessControl else { return add(method, handler) }
        add(method) { (payload, context) throws(RPCError) in
            var context = context
            context.caller = try await accessControl.admit(context)
            try accessControl.authorize(payload, context: context)
            return try await handler(payload, context)
        }
    }

    private mutating func add(_ method: MethodDescriptor, _ handler: @escaping Handler) {
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
        let accessControl = self.accessControl
        add(method) { (payload, context) throws(RPCError) in
            var context = context
            // Credentials first: a caller without them learns nothing, not even whether the
            // request decodes.
            if let accessControl { context.caller = try await accessControl.admit(context) }
            let request: Request
            do throws(CompactDecodingError) {
                request = try Request(compactBytes: payload)
            } catch {
                throw RPCError(
                    .invalidArgument, "malformed \(Request.schemaName): \(error.description)")
            }
            try accessControl?.authorize(request, context: context)
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
