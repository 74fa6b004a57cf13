import CompactCodec
import RPC

/// Decodes a response payload; a payload that does not decode means the server and this client
/// disagree on the schema, which gRPC reports as INTERNAL.
func decodeResponse<M: CompactMessage>(_ payload: [UInt8]) throws -> M {
    do throws(CompactDecodingError) {
        return try M(compactBytes: payload)
    } catch {
        throw RPCError(.internal, "malformed \(M.schemaName) response: \(error.description)")
    }
}
