// Fuzz target: the gRPC deframer (`GRPCMessageDeframer`, length-prefixed messages).
//
// Input: four header bytes, then the DATA stream.
//   bytes 0-1  the message size limit, little-endian (0...65535)
//   byte  2    the largest chunk: 0 the whole stream at once, else 1...255 bytes
//   byte  3    seeds the chunk sizes (0...largest; empty chunks included)
// The stream is fed in those chunks and checked against a reference model that reads it whole:
//   - the same messages come out, in order, each within the limit, whatever the chunking;
//   - an over-limit length, a compressed flag or an invalid flag is refused with the model's
//     status, by the very call that delivers the fifth byte of that prefix (before any of the
//     body is buffered), and the messages before it are kept;
//   - at the end, a partial message is reported exactly when the model has bytes left over.

import RPC

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    SeedWriter.runIfAsked(deframerSeeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    guard input.count >= 4 else { return 0 }
    let limit = Int(input[0]) | Int(input[1]) << 8
    let stream = Array(input[4...])
    let expected = ReferenceDeframer(stream: stream, messageBytesMax: limit)
    var chunks = Chunks(count: stream.count, chunkBytesMax: Int(input[2]), seed: input[3])
    var deframer = GRPCMessageDeframer(messageBytesMax: limit)
    while let range = chunks.next() {
        do {
            try deframer.append(stream[range])
        } catch {
            checkRefusal(error, range: range, expected: expected, deframer: deframer)
            return 0
        }
        fuzzCheck(
            expected.refusal.map { range.upperBound < $0.detectedAtBytes } ?? true,
            "\(range.upperBound) bytes in and the refusal of \(expected.refusal!) not thrown"
        )
    }
    fuzzCheck(deframer.messages == expected.messages, "messages differ from the model's")
    fuzzCheck(deframer.messages.allSatisfy { $0.count <= limit }, "a message over the limit")
    fuzzCheck(
        deframer.hasPartialMessage == expected.hasPartialMessage,
        "hasPartialMessage is \(deframer.hasPartialMessage), the model says otherwise"
    )
    return 0
}

private func checkRefusal(
    _ error: RPCError,
    range: Range<Int>,
    expected: ReferenceDeframer,
    deframer: GRPCMessageDeframer
) {
    guard let refusal = expected.refusal else {
        fatalError("refused a valid stream: \(error)")
    }
    fuzzCheck(error.code == refusal.code, "\(error) where the model refuses with \(refusal)")
    fuzzCheck(
        range.lowerBound < refusal.detectedAtBytes && refusal.detectedAtBytes <= range.upperBound,
        "refused in the chunk \(range), but the prefix at fault ends at \(refusal.detectedAtBytes)"
    )
    fuzzCheck(deframer.messages == expected.messages, "messages before the refusal differ")
}

/// The stream read in one pass, as `doc/PROTOCOL-HTTP2.md` defines it.
private struct ReferenceDeframer {
    struct Refusal: CustomStringConvertible {
        let code: RPCStatusCode
        /// Stream bytes received when the prefix at fault is complete.
        let detectedAtBytes: Int
        var description: String { "\(code.name) at \(detectedAtBytes) bytes" }
    }

    private(set) var messages: [[UInt8]] = []
    private(set) var refusal: Refusal?
    private(set) var hasPartialMessage = false

    init(stream: [UInt8], messageBytesMax: Int) {
        var offset = 0
        while stream.count - offset >= GRPCFraming.prefixBytes {
            let prefixEnd = offset + GRPCFraming.prefixBytes
            var length = 0
            for byte in stream[offset + 1..<prefixEnd] { length = length * 256 + Int(byte) }
            if stream[offset] != 0 {
                // 1: compressed, but no grpc-encoding is supported; anything else is invalid.
                refusal = Refusal(code: .internal, detectedAtBytes: prefixEnd)
                return
            }
            if length > messageBytesMax {
                refusal = Refusal(code: .resourceExhausted, detectedAtBytes: prefixEnd)
                return
            }
            guard stream.count - prefixEnd >= length else { break }
            messages.append(Array(stream[prefixEnd..<prefixEnd + length]))
            offset = prefixEnd + length
        }
        hasPartialMessage = offset < stream.count
    }
}

/// Splits `0..<count` into consecutive ranges of pseudo-random sizes, empty ones included.
private struct Chunks {
    private let count: Int
    private let chunkBytesMax: Int
    private var state: UInt32
    private var offset = 0
    private var isDone = false

    init(count: Int, chunkBytesMax: Int, seed: UInt8) {
        self.count = count
        self.chunkBytesMax = chunkBytesMax == 0 ? max(count, 1) : chunkBytesMax
        self.state = UInt32(seed) &* 2_654_435_761 | 1
    }

    /// The next chunk; the last one ends at `count` (one empty chunk for an empty stream).
    mutating func next() -> Range<Int>? {
        guard !isDone else { return nil }
        // xorshift32: deterministic, so that a saved input replays the same chunks.
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        let size = min(Int(state % UInt32(chunkBytesMax + 1)), count - offset)
        let range = offset..<offset + size
        offset += size
        isDone = offset == count && (size > 0 || count == 0)
        return range
    }
}

/// Each golden vector framed, then all of them in one stream, under a few limits and chunkings,
/// plus the three refusals.
private func deframerSeeds(_ vectors: [SeedWriter.Vector]) -> [(name: String, bytes: [UInt8])] {
    let header: [UInt8] = [0xff, 0x00, 7, 1]  // limit 255, chunks of up to 7 bytes
    var seeds = vectors.map { ("\($0.name)", header + GRPCFraming.frame($0.bytes)) }
    let all = vectors.flatMap { GRPCFraming.frame($0.bytes) }
    seeds.append(("all-whole", [0xff, 0xff, 0, 0] + all))
    seeds.append(("all-bytewise", [0xff, 0xff, 1, 0] + all))
    seeds.append(("all-tight-limit", [0x10, 0x00, 13, 5] + all))
    seeds.append(("compressed", header + [1, 0, 0, 0, 1, 0x08]))
    seeds.append(("invalid-flag", header + [0x80, 0, 0, 0, 0]))
    seeds.append(("over-limit", header + [0, 0, 0, 1, 0] + [UInt8](repeating: 0x41, count: 256)))
    seeds.append(("partial", header + [0, 0, 0, 0, 9, 0x0a, 0x02]))
    return seeds
}
