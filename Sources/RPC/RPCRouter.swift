import CompactCodec

/// What a handler knows about the call it serves.
public struct RPCServerContext: Sendable {
    /// The method called.
    public let method: MethodDescriptor
    /// The request's metadata (ordinary headers).
    public let metadata: Metadata
    /// The peer's address, for logs.
    public let peer: String
    /// Who is calling, once the router's ``RPCAccessControl`` has admitted the call;
    /// `nil` for a method open to anyone, or on a router without access control.
    public var caller: RPCCaller?
    /// An instant by which the whole request had been received (the start of the read that
    /// completed it); `nil` when the transport does not say. A check of state made after it
    /// (a token lookup, say) saw every change committed before the caller sent the request.
    public var receivedBy: ContinuousClock.Instant?
    /// Whether the transport already admitted the caller from the request's headers
    /// (``RPCRoute/admitFromHeaders(_:)``), `caller` included: access control does not admit
    /// the call again, and only authorizes the decoded request. Internal: only the route sets
    /// it, so no code that makes a context can skip authentication by saying it was done.
    var isAdmitted = false

    /// Creates a context.
    public init(
        method: MethodDescriptor, metadata: Metadata, peer: String, caller: RPCCaller? = nil,
        receivedBy: ContinuousClock.Instant? = nil
    ) {
        self.method = method
        self.metadata = metadata
        self.peer = peer
        self.caller = caller
        self.receivedBy = receivedBy
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

/// Decides whether a method's calls may run. The router asks once per method, when it is
/// registered, for that method's checks (``RPCMethodAccess``): what depends only on the method
/// (which rights it needs, its name in messages) is worked out then, not on every call.
public protocol RPCAccessControl: Sendable {
    /// The checks of every call of `method`.
    func access(to method: MethodDescriptor) -> any RPCMethodAccess
}

/// The checks of one method's calls, in two steps, before its handler and before anything is
/// written: ``admit(_:)`` before the request is decoded (who calls, and may they call this
/// method at all), then ``authorize(_:context:)`` with the decoded request (may they act on
/// what it names).
public protocol RPCMethodAccess: Sendable {
    /// Authenticates the call and checks the method against the caller's rights.
    ///
    /// - Returns: the caller, or `nil` for a method open to anyone.
    /// - Throws: ``RPCError`` UNAUTHENTICATED (no or unknown credentials) or PERMISSION_DENIED.
    func admit(_ context: RPCServerContext) async throws(RPCError) -> RPCCaller?

    /// Checks the decoded request against the caller (the raw payload for raw methods).
    ///
    /// - Throws: ``RPCError`` PERMISSION_DENIED.
    func authorize(_ request: any Sendable, context: RPCServerContext) throws(RPCError)

    /// What ``admit(_:)`` would decide, decided from the request's headers alone and without
    /// waiting, when that is possible; the transport asks as soon as the headers have arrived,
    /// so that a call that will be refused is refused before its body is read (and held).
    /// The default, ``RPCHeadersVerdict/undecided``, leaves it to ``admit(_:)``.
    func admitFromHeaders(_ context: RPCServerContext) -> RPCHeadersVerdict
}

extension RPCMethodAccess {
    public func admitFromHeaders(_ context: RPCServerContext) -> RPCHeadersVerdict { .undecided }
}

/// What access control decides about a call from its headers
/// (``RPCMethodAccess/admitFromHeaders(_:)``).
public enum RPCHeadersVerdict: Sendable {
    /// Not decided without waiting: ``RPCMethodAccess/admit(_:)`` decides, before the handler.
    case undecided
    /// Admitted, as this caller (`nil` for a method open to anyone).
    case admitted(RPCCaller?)
    /// Refused with this status (UNAUTHENTICATED, PERMISSION_DENIED, or UNAVAILABLE when the
    /// credentials could not be checked).
    case refused(RPCError)
}

/// A method the router serves, as the transport finds it by path: its descriptor, its handler,
/// and what its access control can decide as soon as a call's headers have arrived.
///
/// A class: a transport looks one up and keeps it for every call, and a reference is one
/// retain where a struct of these fields would be several.
public final class RPCRoute: Sendable {
    public let method: MethodDescriptor
    public let handler: RPCMethodHandler
    private let access: (any RPCMethodAccess)?
    /// The method's observer, which sees a call refused from its headers end too.
    private let observer: (any RPCMethodObserver)?

    fileprivate init(
        method: MethodDescriptor, handler: RPCMethodHandler, access: (any RPCMethodAccess)?,
        observer: (any RPCMethodObserver)?
    ) {
        self.method = method
        self.handler = handler
        self.access = access
        self.observer = observer
    }

    /// Admits the call from its headers when access control can decide that without waiting:
    /// returns `nil` (the caller, if admitted, is in `context`, marked admitted), or the
    /// refusal to answer at once, which the method's observer has seen end. A transport calls
    /// it when a request's headers have arrived, before reading its body.
    public func admitFromHeaders(_ context: inout RPCServerContext) -> RPCError? {
        guard let access else {
            context.isAdmitted = true
            return nil
        }
        switch access.admitFromHeaders(context) {
        case .undecided:
            return nil
        case .admitted(let caller):
            context.caller = caller
            context.isAdmitted = true
            return nil
        case .refused(let error):
            refused(context, with: error)
            return error
        }
    }

    /// Tells the method's observer that a call ended with `error` without its handler running
    /// (refused by the transport: past its deadline, too many calls on its connection), so
    /// that metrics and the access log count it as they count the calls that ran.
    public func refused(_ context: RPCServerContext, with error: RPCError) {
        observer?.callEnded(context, code: error.code, since: context.receivedBy ?? .now)
    }
}

/// How a method answers: one response message, or a stream of them.
public enum RPCMethodHandler: Sendable {
    /// One request, one response.
    case unary(RPCRouter.Handler)
    /// One request, any number of response messages written through the writer.
    case serverStreaming(RPCRouter.StreamingHandler)
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
    /// A server-streaming handler over raw payloads: it writes its messages through the
    /// writer and returns for status OK, or throws ``RPCError`` to choose another status (also
    /// after messages were written).
    public typealias StreamingHandler = @Sendable (
        [UInt8], RPCMessageWriter, RPCServerContext
    ) async throws(RPCError) -> Void

    private var routes: [String: RPCRoute] = [:]
    /// Checks every call before its handler runs; `nil`: every method is open.
    private let accessControl: (any RPCAccessControl)?
    /// Sees every call end (metrics, access log); `nil`: nothing is observed.
    private let observer: (any RPCServerCallObserver)?
    /// The observer of calls to paths no method serves.
    let unknownMethodObserver: (any RPCMethodObserver)?

    /// Creates an empty router.
    ///
    /// - Parameters:
    ///   - accessControl: checks every call of every method registered from here on, before
    ///     the request is decoded and again once it is; `nil` leaves every method open.
    ///   - observer: sees every call of every method registered from here on end, and every
    ///     call to a path no method serves (``unknownMethodCalled(path:metadata:peer:receivedBy:)``);
    ///     `nil`: none.
    public init(
        accessControl: (any RPCAccessControl)? = nil, observer: (any RPCServerCallObserver)? = nil
    ) {
        self.accessControl = accessControl
        self.observer = observer
        self.unknownMethodObserver = observer?.observerOfUnknownMethods()
    }

    /// The registered methods, sorted by path.
    public var methods: [MethodDescriptor] {
        routes.values.map(\.method).sorted { $0.path < $1.path }
    }

    /// The registered server-streaming methods, sorted by path.
    public var serverStreamingMethods: [MethodDescriptor] {
        routes.values.compactMap { route in
            if case .serverStreaming = route.handler { route.method } else { nil }
        }.sorted { $0.path < $1.path }
    }

    /// Registers a unary method over raw payloads (for messages that are not of our codec).
    ///
    /// Access control sees the raw payload as the request.
    public mutating func registerRaw(_ method: MethodDescriptor, _ handler: @escaping Handler) {
        let access = access(to: method)
        addUnary(method, access: access) { (payload, context) throws(RPCError) in
            try await access.admitRaw(payload, &context)
            return try await handler(payload, context)
        }
    }

    /// Registers a server-streaming method over raw payloads (for messages that are not of
    /// our codec). Access control sees the raw payload as the request.
    public mutating func registerRawServerStreaming(
        _ method: MethodDescriptor, _ handler: @escaping StreamingHandler
    ) {
        let access = access(to: method)
        addServerStreaming(method, access: access) { (payload, writer, context) throws(RPCError) in
            try await access.admitRaw(payload, &context)
            try await handler(payload, writer, context)
        }
    }

    /// A unary body that admits its caller into the context it is given.
    private typealias AdmittingHandler = @Sendable ([UInt8], inout RPCServerContext)
        async throws(RPCError) -> [UInt8]
    /// A server-streaming body that admits its caller into the context it is given.
    private typealias AdmittingStreamingHandler = @Sendable (
        [UInt8], RPCMessageWriter, inout RPCServerContext
    ) async throws(RPCError) -> Void

    /// Adds a unary method whose calls the observer (if any) sees end.
    ///
    /// The observation is written out here rather than wrapped around `body` in a generic
    /// function: an async call more per call costs a task frame, and GetBalance is that fast.
    private mutating func addUnary(
        _ method: MethodDescriptor, access: RPCAccess, _ body: @escaping AdmittingHandler
    ) {
        guard let observer = self.observer?.observer(of: method) else {
            let handler = RPCMethodHandler.unary { (payload, context) throws(RPCError) in
                var context = context
                return try await body(payload, &context)
            }
            add(method, access: access, observer: nil, handler)
            return
        }
        let handler = RPCMethodHandler.unary { (payload, context) throws(RPCError) in
            var context = context
            let started = context.receivedBy ?? .now
            do throws(RPCError) {
                let response = try await body(payload, &context)
                observer.callEnded(context, code: .ok, since: started)
                return response
            } catch {
                observer.callEnded(context, code: error.code, since: started)
                throw error
            }
        }
        add(method, access: access, observer: observer, handler)
    }

    /// Adds a server-streaming method whose calls the observer (if any) sees end.
    private mutating func addServerStreaming(
        _ method: MethodDescriptor, access: RPCAccess, _ body: @escaping AdmittingStreamingHandler
    ) {
        let observer = self.observer?.observer(of: method)
        let handler = RPCMethodHandler.serverStreaming {
            (payload, writer, context) throws(RPCError) in
            try await Self.observed(observer, context) { (context) throws(RPCError) in
                try await body(payload, writer, &context)
            }
        }
        add(method, access: access, observer: observer, handler)
    }

    private mutating func add(
        _ method: MethodDescriptor, access: RPCAccess, observer: (any RPCMethodObserver)?,
        _ handler: RPCMethodHandler
    ) {
        precondition(routes[method.path] == nil, "\(method) is registered twice")
        routes[method.path] = RPCRoute(
            method: method, handler: handler, access: access.control, observer: observer)
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
        let access = access(to: method)
        addUnary(method, access: access) { (payload, context) throws(RPCError) in
            let request: Request = try await access.admit(payload, &context)
            let admitted = context
            return try await RPCAccess.status {
                try await body(request, admitted).compactBytes()
            }
        }
    }

    /// Registers a server-streaming method whose messages use the compact codec.
    ///
    /// Access control runs as for a unary method: the caller is admitted before the request
    /// is decoded and authorized on the decoded request, before `body` runs or anything is
    /// written. A request that does not decode is answered INVALID_ARGUMENT. `body` writes
    /// its messages through the writer and returns for status OK; it throws ``RPCError`` to
    /// choose another status (after messages too: the trailers carry it), any other error
    /// becomes UNKNOWN, and cancellation becomes CANCELLED.
    ///
    /// ```swift
    /// router.registerServerStreaming(Admin.Method.ExportJournal.descriptor) {
    ///     (request: ExportJournalRequest, writer: RPCStreamWriter<JournalEntry>, context) in
    ///     try await admin.exportJournal(request, writer: writer, context: context)
    /// }
    /// ```
    public mutating func registerServerStreaming<
        Request: CompactMessage, Response: CompactMessage
    >(
        _ method: MethodDescriptor,
        _ body: @escaping @Sendable (Request, RPCStreamWriter<Response>, RPCServerContext)
            async throws -> Void
    ) {
        let access = access(to: method)
        addServerStreaming(method, access: access) { (payload, writer, context) throws(RPCError) in
            let request: Request = try await access.admit(payload, &context)
            let admitted = context
            try await RPCAccess.status {
                try await body(request, RPCStreamWriter(writer), admitted)
            }
        }
    }

    /// The access control's checks of `method`, asked once, at its registration.
    private func access(to method: MethodDescriptor) -> RPCAccess {
        RPCAccess(control: accessControl?.access(to: method))
    }

    /// The method and handler for a request path such as `/cashback.v1.Wallet/GetBalance`.
    public func handler(forPath path: String) -> (MethodDescriptor, RPCMethodHandler)? {
        routes[path].map { ($0.method, $0.handler) }
    }

    /// The route of a request path such as `/cashback.v1.Wallet/GetBalance`: what a transport
    /// that admits calls from their headers (``RPCRoute/admitFromHeaders(_:)``) looks up.
    public func route(forPath path: String) -> RPCRoute? {
        routes[path]
    }
}

/// The router's access control steps for one method, shared by every kind of method.
private struct RPCAccess: Sendable {
    let control: (any RPCMethodAccess)?

    /// Admits the caller into `context`, then authorizes the raw payload.
    func admitRaw(_ payload: [UInt8], _ context: inout RPCServerContext) async throws(RPCError) {
        guard let control else { return }
        if !context.isAdmitted { context.caller = try await control.admit(context) }
        try control.authorize(payload, context: context)
    }

    /// Admits the caller into `context`, decodes the request, then authorizes the decoded
    /// request. The caller stays in `context` when a later step refuses the call, for the
    /// observer.
    func admit<Request: CompactMessage>(_ payload: [UInt8], _ context: inout RPCServerContext)
        async throws(RPCError) -> Request
    {
        // Credentials first: a caller without them learns nothing, not even whether the
        // request decodes.
        if let control, !context.isAdmitted { context.caller = try await control.admit(context) }
        let request: Request
        do throws(CompactDecodingError) {
            request = try Request(compactBytes: payload)
        } catch {
            throw RPCError(
                .invalidArgument, "malformed \(Request.schemaName): \(error.description)")
        }
        try control?.authorize(request, context: context)
        return request
    }

    /// Runs a handler body, mapping what it throws to a status: ``RPCError`` as it is,
    /// cancellation to CANCELLED, anything else to UNKNOWN.
    static func status<T>(_ body: () async throws -> T) async throws(RPCError) -> T {
        do {
            return try await body()
        } catch let error as RPCError {
            throw error
        } catch is CancellationError {
            throw RPCError(.cancelled, "the call was cancelled")
        } catch {
            throw RPCError(.unknown, "the handler failed")
        }
    }
}
