
/// The messages of one server-streaming response between the side that receives them (a
/// transport, or an in-process handler) and the task that consumes them.
///
/// The consumer takes one message at a time with ``next()``; the producer appends and, at the
/// end, finishes with the call's status. What bounds the buffer is the producer's business:
/// the HTTP/2 client withholds flow-control window while messages wait (``onTake`` tells it
/// when they have been taken), an in-process producer waits with ``waitForRoom(below:)``.
public final class RPCMessageBuffer: Sendable {
    private struct State {
        var queue: [[UInt8]] = []
        var head = 0
        var queuedBytes = 0
        /// Set once: `.success` is status OK.
        var end: Result<Void, RPCError>?
        var consumer: CheckedContinuation<[UInt8]?, any Error>?
        var producers: [CheckedContinuation<Void, Never>] = []
        var queuedCount: Int { queue.count - head }
    }

    private let state = LockedState(State())
    /// Called after the consumer took a message: its payload bytes, and how many messages are
    /// still queued.
    private let onTake: @Sendable (_ bytes: Int, _ stillQueued: Int) -> Void
    /// Called once when the consumer gives up (task cancelled, or ``cancel()``).
    private let onCancel: @Sendable () -> Void

    /// Creates an empty buffer.
    public init(
        onTake: @escaping @Sendable (_ bytes: Int, _ stillQueued: Int) -> Void = { _, _ in },
        onCancel: @escaping @Sendable () -> Void = {}
    ) {
        self.onTake = onTake
        self.onCancel = onCancel
    }

    // MARK: Producer

    /// Appends one message, or hands it straight to a waiting consumer.
    ///
    /// - Returns: the messages queued after it (0 when the consumer took it at once).
    @discardableResult
    public func append(_ payload: [UInt8]) -> Int {
        let (consumer, queued) = state.withLockedValue { state -> (CheckedContinuation<[UInt8]?, any Error>?, Int) in
            guard state.end == nil else { return (nil, state.queuedCount) }
            if let consumer = state.consumer {
                state.consumer = nil
                return (consumer, 0)
            }
            state.queue.append(payload)
            state.queuedBytes += payload.count
            return (nil, state.queuedCount)
        }
        if let consumer {
            consumer.resume(returning: payload)
            onTake(payload.count, 0)
        }
        return queued
    }

    /// Ends the stream: the consumer gets the queued messages, then `nil` (OK) or the error.
    /// Only the first end counts.
    ///
    /// - Returns: whether this call ended the stream.
    @discardableResult
    public func finish(_ end: Result<Void, RPCError>) -> Bool {
        typealias Waiters = (
            consumer: CheckedContinuation<[UInt8]?, any Error>?,
            producers: [CheckedContinuation<Void, Never>]
        )
        let waiters = state.withLockedValue { state -> Waiters? in
            guard state.end == nil else { return nil }
            state.end = end
            defer {
                state.consumer = nil
                state.producers = []
            }
            // A waiting consumer has nothing queued (it would have taken it).
            return (state.consumer, state.producers)
        }
        guard let waiters else { return false }
        waiters.consumer?.resume(with: end.map { nil }.mapError { $0 as any Error })
        for producer in waiters.producers { producer.resume() }
        return true
    }

    /// The messages waiting for the consumer.
    public var queuedCount: Int { state.withLockedValue { $0.queuedCount } }

    /// Returns once fewer than `bytes` payload bytes are queued, or the stream has ended.
    public func waitForRoom(below bytes: Int) async {
        while !hasRoom(below: bytes) {
            // Woken whenever the consumer takes a message, then checked again.
            await withCheckedContinuation { continuation in
                let ready = state.withLockedValue { state in
                    guard state.end == nil, state.queuedBytes >= bytes else { return true }
                    state.producers.append(continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        }
    }

    private func hasRoom(below bytes: Int) -> Bool {
        state.withLockedValue { $0.end != nil || $0.queuedBytes < bytes }
    }

    // MARK: Consumer

    /// The next message; `nil` once the stream ended with status OK.
    ///
    /// - Throws: the stream's ``RPCError``; CANCELLED when the consuming task is cancelled
    ///   (which also calls `onCancel`, so the transport resets the stream).
    public func next() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                switch takeOrWait(continuation) {
                case .none: break
                case .some(.success(let payload)): continuation.resume(returning: payload)
                case .some(.failure(let error)): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            cancel()
        }
    }

    /// Stops consuming: the stream is finished as CANCELLED and the producer told.
    public func cancel() {
        if finish(.failure(RPCError(.cancelled, "the call was cancelled"))) { onCancel() }
    }

    /// Takes the head message, or the end; `nil` after registering `continuation` to wait.
    private func takeOrWait(_ continuation: CheckedContinuation<[UInt8]?, any Error>)
        -> Result<[UInt8]?, any Error>?
    {
        let taken = state.withLockedValue { state -> (Result<[UInt8]?, any Error>?, Int, Int) in
            if state.queuedCount > 0 {
                let payload = state.queue[state.head]
                state.queue[state.head] = []
                state.head += 1
                state.queuedBytes -= payload.count
                if state.head == state.queue.count {
                    state.queue.removeAll(keepingCapacity: true)
                    state.head = 0
                } else if state.head >= 64, state.head * 2 >= state.queue.count {
                    state.queue.removeFirst(state.head)
                    state.head = 0
                }
                return (.success(payload), payload.count, state.queuedCount)
            }
            if let end = state.end {
                return (end.map { nil }.mapError { $0 as any Error }, 0, 0)
            }
            // Cancellation may have run before the continuation existed: then `end` is set.
            state.consumer = continuation
            return (nil, 0, 0)
        }
        if case .success(let payload?) = taken.0 {
            onTake(payload.count, taken.2)
            wakeProducers()
        }
        return taken.0
    }

    private func wakeProducers() {
        let producers = state.withLockedValue { state in
            defer { state.producers = [] }
            return state.producers
        }
        // A woken producer checks the room again itself.
        for producer in producers { producer.resume() }
    }
}
