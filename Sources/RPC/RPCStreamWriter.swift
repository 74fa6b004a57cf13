import CompactCodec

/// Sends the messages of a server-streaming response, one gRPC message per write.
///
/// `write` returns once the message is queued for the stream, and suspends while too much of
/// the response is already queued (the client reads slowly, or HTTP/2 flow control holds it
/// back): a handler that writes in a loop never outruns its client.
///
/// ```swift
/// func exportJournal(
///     _ request: ExportJournalRequest, writer: RPCStreamWriter<JournalEntry>,
///     context: RPCServerContext
/// ) async throws {
///     for entry in entries { try await writer.write(entry) }
/// }
/// ```
public struct RPCStreamWriter<Message: CompactMessage>: Sendable {
    private let raw: RPCMessageWriter

    /// A writer that encodes each message and hands it to `raw`.
    public init(_ raw: RPCMessageWriter) {
        self.raw = raw
    }

    /// Sends one message.
    ///
    /// - Throws: ``RPCError``: RESOURCE_EXHAUSTED for a message over the size limit (the call
    ///   then ends with that status), CANCELLED once the call is over (the client went away,
    ///   or the deadline passed); stop writing then.
    public func write(_ message: Message) async throws(RPCError) {
        try await raw.write(message.compactBytes())
    }
}

/// Sends raw message payloads of a server-streaming response; the transport provides it.
public struct RPCMessageWriter: Sendable {
    private let send: @Sendable ([UInt8]) async throws(RPCError) -> Void

    /// A writer that passes each payload to `send`, which returns once the transport has
    /// room for more.
    public init(_ send: @escaping @Sendable ([UInt8]) async throws(RPCError) -> Void) {
        self.send = send
    }

    /// Sends one message payload (without the 5-byte prefix).
    ///
    /// - Throws: ``RPCError`` as ``RPCStreamWriter/write(_:)`` does.
    public func write(_ payload: [UInt8]) async throws(RPCError) {
        try await send(payload)
    }
}
