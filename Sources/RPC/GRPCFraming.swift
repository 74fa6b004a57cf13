/// gRPC's length-prefixed message framing: one byte compressed-flag, four bytes big-endian
/// length, then the payload (grpc/grpc `doc/PROTOCOL-HTTP2.md`, "Length-Prefixed-Message").
public enum GRPCFraming {
    /// Bytes before each payload.
    public static let prefixBytes = 5

    /// Frames one uncompressed message.
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        precondition(payload.count <= Int(UInt32.max), "a frame length has 32 bits")
        var framed = [UInt8]()
        framed.reserveCapacity(prefixBytes + payload.count)
        let length = UInt32(payload.count)
        framed.append(0)
        framed.append(UInt8(truncatingIfNeeded: length >> 24))
        framed.append(UInt8(truncatingIfNeeded: length >> 16))
        framed.append(UInt8(truncatingIfNeeded: length >> 8))
        framed.append(UInt8(truncatingIfNeeded: length))
        framed.append(contentsOf: payload)
        return framed
    }
}

/// Splits a stream of DATA bytes into gRPC messages, whatever the frame boundaries.
///
/// A length prefix over the limit is rejected as soon as its five bytes arrive, before any of
/// the body is buffered, so what a peer can make us hold is bounded by the limit.
public struct GRPCMessageDeframer: Sendable {
    private let messageBytesMax: Int
    private var pending: [UInt8] = []
    private var readIndex = 0
    /// Complete messages not yet taken.
    public private(set) var messages: [[UInt8]] = []

    /// Creates a deframer that rejects messages over `messageBytesMax`.
    public init(messageBytesMax: Int) {
        self.messageBytesMax = messageBytesMax
    }

    /// Takes the complete messages split off so far, oldest first.
    public mutating func takeMessages() -> [[UInt8]] {
        defer { messages = [] }
        return messages
    }

    /// Whether bytes of an unfinished message are buffered.
    public var hasPartialMessage: Bool { readIndex < pending.count }

    /// Appends received bytes and splits off every message they complete.
    ///
    /// - Throws: ``RPCError`` RESOURCE_EXHAUSTED for a message over the limit, INTERNAL for a
    ///   compressed message (no `grpc-encoding` is supported) or an invalid flag byte.
    public mutating func append(_ bytes: some Collection<UInt8>) throws(RPCError) {
        pending.append(contentsOf: bytes)
        while pending.count - readIndex >= GRPCFraming.prefixBytes {
            let flag = pending[readIndex]
            let length = pending[readIndex + 1..<readIndex + 5].reduce(0) { $0 << 8 | Int($1) }
            switch flag {
            case 0: break
            case 1:
                throw RPCError(.internal, "compressed message without a supported grpc-encoding")
            default: throw RPCError(.internal, "invalid message flag \(flag)")
            }
            guard length <= messageBytesMax else {
                throw RPCError(
                    .resourceExhausted,
                    "message of \(length) bytes exceeds the limit of \(messageBytesMax) bytes")
            }
            let start = readIndex + GRPCFraming.prefixBytes
            guard pending.count - start >= length else { break }
            messages.append(Array(pending[start..<start + length]))
            readIndex = start + length
        }
        if readIndex == pending.count {
            pending.removeAll(keepingCapacity: true)
            readIndex = 0
        }
    }
}
