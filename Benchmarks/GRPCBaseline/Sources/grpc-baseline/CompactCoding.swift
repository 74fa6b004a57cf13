import CompactCodec
import GRPCCore

/// Encodes a response with the compact codec (`Protocol/WIRE.md`), as cashbackd does, so that
/// the baseline puts the same bytes on the wire for the same message.
///
/// ```swift
/// let serializer = CompactSerializer<CashbackV1.GetBalanceResponse>()
/// let bytes: [UInt8] = try serializer.serialize(.init(pendingMinor: 324))
/// ```
struct CompactSerializer<Message: CompactMessage>: MessageSerializer {
    /// The message's deterministic encoding, copied into the transport's byte type.
    func serialize<Bytes: GRPCContiguousBytes>(_ message: Message) throws -> Bytes {
        Bytes(message.compactBytes())
    }
}

/// Decodes a request with the compact codec; bytes that are not a valid encoding are the
/// caller's mistake, `INVALID_ARGUMENT` naming the message type and the decoder's finding.
///
/// ```swift
/// let deserializer = CompactDeserializer<CashbackV1.GetBalanceRequest>()
/// let request = try deserializer.deserialize(bytes)
/// ```
struct CompactDeserializer<Message: CompactMessage>: MessageDeserializer {
    /// The message that `serializedMessageBytes` encode.
    ///
    /// - Throws: `RPCError` with code `invalidArgument` when the bytes are not a valid encoding.
    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Message {
        let bytes = serializedMessageBytes.withUnsafeBytes { Array($0) }
        do {
            return try Message(compactBytes: bytes)
        } catch {
            throw RPCError(
                code: .invalidArgument,
                message: "the request is not a valid \(Message.schemaName): \(error)")
        }
    }
}
