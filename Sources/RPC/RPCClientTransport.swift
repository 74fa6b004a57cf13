
/// Options of one client call.
public struct CallOptions: Sendable {
    /// How long the call may take; sent as `grpc-timeout`. `nil`: no deadline.
    public var timeout: Duration?
    /// Extra metadata to send (e.g. `authorization`).
    public var metadata: Metadata
    /// Sees the call's header blocks and trailers as the transport sends and receives them
    /// (``RPCCallObserver``); `nil`, the default, keeps nothing of them.
    public var observer: (any RPCCallObserver)?

    /// Creates options.
    public init(
        timeout: Duration? = nil, metadata: Metadata = Metadata(),
        observer: (any RPCCallObserver)? = nil
    ) {
        self.timeout = timeout
        self.metadata = metadata
        self.observer = observer
    }
}

/// A client-side transport: sends one request and returns its response payload, or the
/// stream of payloads of a server-streaming method.
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

    /// Makes a server-streaming call when the returned sequence is iterated.
    ///
    /// - Returns: the response message payloads, in order; iteration ends after status OK
    ///   and throws ``RPCError`` otherwise (the server's status, or UNAVAILABLE when the call
    ///   could not reach it).
    func serverStreaming(_ method: MethodDescriptor, request: [UInt8], options: CallOptions)
        -> RPCRawResponseStream
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
            router.unknownMethodCalled(
                path: method.path, metadata: options.metadata, peer: "in-process",
                receivedBy: nil)
            throw RPCError(.unimplemented, "unknown method \(method.path)")
        }
        guard case .unary(let unary) = handler else {
            throw RPCError(.unimplemented, "\(method.path) is a server-streaming method")
        }
        let context = RPCServerContext(
            method: descriptor, metadata: options.metadata, peer: "in-process")
        return try await unary(request, context)
    }

    /// Runs the handler in a task of its own; each `write` waits while the consumer has
    /// ``inProcessQueuedBytesMax`` bytes or more to take.
    public func serverStreaming(
        _ method: MethodDescriptor, request: [UInt8], options: CallOptions
    ) -> RPCRawResponseStream {
        guard request.count <= limits.messageBytesMax else {
            return RPCRawResponseStream(
                failing: RPCError(
                    .resourceExhausted, "message exceeds \(limits.messageBytesMax) bytes"))
        }
        guard let (descriptor, handler) = router.handler(forPath: method.path),
            case .serverStreaming(let streaming) = handler
        else {
            return RPCRawResponseStream(
                failing: RPCError(.unimplemented, "unknown streaming method \(method.path)"))
        }
        let context = RPCServerContext(
            method: descriptor, metadata: options.metadata, peer: "in-process")
        let messageBytesMax = limits.messageBytesMax
        return RPCRawResponseStream {
            let task = TaskHolder()
            let buffer = RPCMessageBuffer(onCancel: { task.cancel() })
            let writer = RPCMessageWriter { (payload) throws(RPCError) in
                guard payload.count <= messageBytesMax else {
                    let error = RPCError(
                        .resourceExhausted, "response message exceeds \(messageBytesMax) bytes")
                    buffer.finish(.failure(error))
                    throw error
                }
                buffer.append(payload)
                await buffer.waitForRoom(below: Self.inProcessQueuedBytesMax)
                if Task.isCancelled { throw RPCError(.cancelled, "the call was cancelled") }
            }
            task.set(Task {
                do throws(RPCError) {
                    try await streaming(request, writer, context)
                    buffer.finish(.success(()))
                } catch {
                    buffer.finish(.failure(error))
                }
            })
            return buffer
        }
    }

    /// Response bytes an in-process stream queues before the handler's writes wait.
    public static let inProcessQueuedBytesMax = 64 << 10
}

/// A task set once, cancellable before it is set (then it is cancelled as it is set): for a
/// buffer whose `onCancel` must stop the task that fills it, made after the buffer.
public final class TaskHolder: Sendable {
    private let state = LockedState<(task: Task<Void, Never>?, cancelled: Bool)>((nil, false))

    public init() {}

    public func set(_ task: Task<Void, Never>) {
        let cancelled = state.withLockedValue { state in
            state.task = task
            return state.cancelled
        }
        if cancelled { task.cancel() }
    }

    public func cancel() {
        let task = state.withLockedValue { state in
            state.cancelled = true
            return state.task
        }
        task?.cancel()
    }
}
