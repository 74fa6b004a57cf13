// Fuzz target: the compact codec of every message type a peer sends or answers: the schema's,
// and gRPC's health messages (written by hand in `Sources/CashbackAPI/Health.swift`).
//
// Input: one byte that selects a message type (its index in `messageTypes`: the catalog's
// messages in order, then the health messages; modulo the count), then the bytes to decode as
// that type. Most inputs fail to decode, which must
// throw and never trap. When decoding succeeds, the message is re-encoded and decoded again:
//   - the canonical encoding decodes to an equal message, which encodes to the same bytes;
//   - the canonical encoding is no longer than the input (decoding drops unknown fields,
//     defaults and repeated singular values, and varints are minimal), so a decode-encode cycle
//     never amplifies what a peer sent.
// The message types come from the generated catalog, so a new message is fuzzed as soon as
// `rpcgen` adds it.

import CashbackAPI
import CompactCodec
import RPC

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    fuzzCheck(!SchemaCatalog.messages.isEmpty, "the catalog lists no message")
    fuzzCheck(
        messageTypes.count <= 256,
        "one selector byte cannot pick among \(messageTypes.count) message types"
    )
    SeedWriter.runIfAsked(codecSeeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    guard let selector = input.first else { return 0 }
    messageTypes[Int(selector) % messageTypes.count].fuzzRoundTrip(Array(input.dropFirst()))
    return 0
}

/// The types fuzzed, by selector: the catalog's, then the two health messages, which are not
/// in the catalog (they belong to gRPC's schema, not ours).
private let messageTypes: [any CompactMessage.Type] =
    SchemaCatalog.messages.map(\.messageType) + [HealthCheckRequest.self, HealthCheckResponse.self]

extension CompactMessage {
    fileprivate static func fuzzRoundTrip(_ bytes: [UInt8]) {
        checkRoundTrip(of: Self.self, bytes)
    }
}

private func checkRoundTrip<M: CompactMessage>(of type: M.Type, _ bytes: [UInt8]) {
    let decoded: M
    do throws(CompactDecodingError) {
        decoded = try M(compactBytes: bytes)
    } catch {
        fuzzCheck(error.offset >= 0, "\(M.schemaName): negative error offset \(error.offset)")
        fuzzCheck(
            error.offset <= bytes.count,
            "\(M.schemaName): error offset \(error.offset) past the \(bytes.count) input bytes"
        )
        return
    }
    let encoded = decoded.compactBytes()
    fuzzCheck(
        encoded.count <= bytes.count,
        "\(M.schemaName): \(bytes.count) bytes re-encode to \(encoded.count) bytes"
    )
    let again: M
    do {
        again = try M(compactBytes: encoded)
    } catch {
        fatalError("\(M.schemaName): the canonical encoding \(encoded) does not decode: \(error)")
    }
    fuzzCheck(again == decoded, "\(M.schemaName): \(encoded) decodes to another message")
    fuzzCheck(
        again.compactBytes() == encoded,
        "\(M.schemaName): \(encoded) encodes to other bytes"
    )
}

/// Each golden vector, prefixed with its message type's selector byte.
private func codecSeeds(_ vectors: [SeedWriter.Vector]) -> [(name: String, bytes: [UInt8])] {
    let names = SchemaCatalog.messages.map(\.name)
    return vectors.map { vector in
        guard let index = names.firstIndex(of: vector.message) else {
            fatalError("vector \(vector.name) names an unknown message \(vector.message)")
        }
        return (vector.name, [UInt8(index)] + vector.bytes)
    }
}
