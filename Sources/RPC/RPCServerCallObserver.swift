/// Sees every call a router dispatches: what metrics and access logs are made of.
///
/// The router asks it once per method, when the method is registered, for that method's
/// ``RPCMethodObserver``, and once, when the router is made, for the observer of every path it
/// does not serve. What a call costs then is one ``RPCMethodObserver/callEnded(_:code:duration:)``
/// on handles resolved in advance: no lookup by name per call, and no label value a client can
/// choose (every unknown path shares one observer).
///
/// ```swift
/// var router = RPCRouter(accessControl: access, observer: metrics)
/// router.registerUnary(Wallet.Method.getBalance) { ... }   // asks `metrics` for its observer
/// ```
public protocol RPCServerCallObserver: Sendable {
    /// The observer of every call of `method`.
    func observer(of method: MethodDescriptor) -> any RPCMethodObserver

    /// The observer of every call to a path the router does not serve, which the transport
    /// answers UNIMPLEMENTED without a handler.
    func observerOfUnknownMethods() -> any RPCMethodObserver
}

/// Told about each call of one method when it ends.
public protocol RPCMethodObserver: Sendable {
    /// A call ended.
    ///
    /// Called on the thread that ran the handler, as the handler returns: it must not block.
    ///
    /// - Parameters:
    ///   - context: the call's context; ``RPCServerContext/caller`` is set once access control
    ///     admitted the caller (also when a later step refused the call).
    ///   - code: the status the call ended with: OK, or what the handler or access control
    ///     threw. A call the transport cut short (a deadline, a reset) ends with the status its
    ///     handler returned once cancelled, usually CANCELLED. A call the transport answered
    ///     without starting its handler (refused from its headers, past its deadline, a body
    ///     without one message, too many calls) ends with the status it was answered
    ///     (``RPCRoute/refused(_:with:)``).
    ///   - duration: from ``RPCServerContext/receivedBy`` (when the transport had the whole
    ///     request), or from the router's dispatch when the transport does not say, to the
    ///     handler's end.
    func callEnded(_ context: RPCServerContext, code: RPCStatusCode, duration: Duration)
}

extension RPCMethodObserver {
    /// A call that began at `started` ended now with `code`.
    func callEnded(
        _ context: RPCServerContext, code: RPCStatusCode, since started: ContinuousClock.Instant
    ) {
        callEnded(context, code: code, duration: started.duration(to: .now))
    }
}

extension RPCRouter {
    /// Tells the observer about a call to `path`, which the router does not serve: the
    /// transport answers it UNIMPLEMENTED, and calls this so that the call is counted and
    /// logged like any other.
    ///
    /// - Parameters:
    ///   - path: the request's path as received (for the access log; never a metric label).
    ///   - metadata: the request's metadata.
    ///   - peer: the peer's address.
    ///   - receivedBy: when the transport had the request's headers.
    public func unknownMethodCalled(
        path: String, metadata: Metadata, peer: String, receivedBy: ContinuousClock.Instant?
    ) {
        guard let observer = unknownMethodObserver else { return }
        let context = RPCServerContext(
            method: MethodDescriptor(unknownPath: path), metadata: metadata, peer: peer,
            receivedBy: receivedBy)
        observer.callEnded(context, code: .unimplemented, since: receivedBy ?? .now)
    }

    /// Runs `body` (access control and the handler) and tells `observer`, if any, how the call
    /// ended: its status, how long it took and who the caller was.
    static func observed<Result>(
        _ observer: (any RPCMethodObserver)?, _ context: RPCServerContext,
        _ body: (inout RPCServerContext) async throws(RPCError) -> Result
    ) async throws(RPCError) -> Result {
        var context = context
        guard let observer else { return try await body(&context) }
        let started = context.receivedBy ?? .now
        do {
            let result = try await body(&context)
            observer.callEnded(context, code: .ok, since: started)
            return result
        } catch {
            observer.callEnded(context, code: error.code, since: started)
            throw error
        }
    }
}

extension MethodDescriptor {
    /// The service and method a path names, for paths the router does not serve:
    /// `/a.B/C` is service `a.B`, method `C`; a path without a second `/` is all service.
    init(unknownPath path: String) {
        let trimmed = path.hasPrefix("/") ? path.dropFirst() : Substring(path)
        guard let slash = trimmed.lastIndex(of: "/") else {
            self.init(service: String(trimmed), method: "")
            return
        }
        self.init(
            service: String(trimmed[..<slash]),
            method: String(trimmed[trimmed.index(after: slash)...]))
    }
}
