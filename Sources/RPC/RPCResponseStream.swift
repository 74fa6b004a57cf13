import CompactCodec

/// The raw messages of one server-streaming call, as a transport returns them.
///
/// The call starts when iteration starts (each iterator makes its own call) and ends normally
/// after the server's status OK; any other status is thrown as ``RPCError``. Cancelling the
/// consuming task, or dropping the iterator before the end, resets the stream.
///
/// ```swift
/// for try await payload in transport.serverStreaming(method, request: bytes, options: .init()) {
///     print(payload.count)
/// }
/// ```
public struct RPCRawResponseStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    private let start: @Sendable () async throws -> RPCMessageBuffer

    /// Creates a stream whose iteration calls `start` to open the call; `start` returns the
    /// buffer the transport fills with the response's messages.
    public init(start: @escaping @Sendable () async throws -> RPCMessageBuffer) {
        self.start = start
    }

    /// A stream that fails at once with `error` (a call that cannot be made).
    public init(failing error: RPCError) {
        self.start = { throw error }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(call: Call(start: start))
    }

    /// Takes the messages of one call, in order.
    public struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate let call: Call

        /// The next message; `nil` after status OK.
        ///
        /// - Throws: ``RPCError`` with the call's status.
        public mutating func next() async throws -> [UInt8]? {
            try await call.next()
        }
    }

    /// One call: started on the first `next()`, reset if dropped before its end.
    fileprivate final class Call {
        private var start: (@Sendable () async throws -> RPCMessageBuffer)?
        private var buffer: RPCMessageBuffer?

        init(start: @escaping @Sendable () async throws -> RPCMessageBuffer) {
            self.start = start
        }

        func next() async throws -> [UInt8]? {
            if let start {
                self.start = nil
                do {
                    buffer = try await start()
                } catch let error as RPCError {
                    throw error
                } catch is CancellationError {
                    throw RPCError(.cancelled, "the call was cancelled")
                }
            }
            guard let buffer else { return nil }
            return try await buffer.next()
        }

        deinit { buffer?.cancel() }
    }
}

/// The decoded messages of one server-streaming call: what generated clients return.
///
/// ```swift
/// for try await entry in client.admin.exportJournal(.init(afterEntryID: 0)) {
///     print(entry.entryID)
/// }
/// ```
///
/// The call starts when iteration starts, ends normally after status OK and throws
/// ``RPCError`` otherwise (INTERNAL for a message that does not decode). Cancelling the
/// consuming task, or leaving the loop early, resets the stream.
public struct RPCResponseStream<Message: CompactMessage>: AsyncSequence, Sendable {
    public typealias Element = Message

    private let raw: RPCRawResponseStream

    /// Decodes the messages of `raw`.
    public init(_ raw: RPCRawResponseStream) {
        self.raw = raw
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(raw: raw.makeAsyncIterator())
    }

    /// Takes and decodes the messages of one call.
    public struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate var raw: RPCRawResponseStream.AsyncIterator

        public mutating func next() async throws -> Message? {
            guard let payload = try await raw.next() else { return nil }
            do throws(CompactDecodingError) {
                return try Message(compactBytes: payload)
            } catch {
                throw RPCError(
                    .internal, "malformed \(Message.schemaName) message: \(error.description)")
            }
        }
    }
}
