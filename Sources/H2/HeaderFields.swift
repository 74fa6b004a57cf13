import CNGHTTP2
import RPC

/// Header fields to submit to nghttp2: a block built once for the process's lifetime, or
/// fields built for one response.
enum HeaderFields {
    case prebuilt(PrebuiltHeaderBlock)
    case built([(String, String)])

    /// `:status: 200` with the response's content-type: the start of every gRPC response.
    static func responseHeaders(_ contentType: ResponseContentType?) -> HeaderFields {
        switch contentType ?? .grpc {
        case .grpc: .prebuilt(.okGRPC)
        case .grpcCompact: .prebuilt(.okGRPCCompact)
        case .other(let text): .built([(":status", "200"), ("content-type", text)])
        }
    }

    /// The fields as pairs (for tests and logs).
    var pairs: [(String, String)] {
        switch self {
        case .prebuilt(let block): block.fields
        case .built(let fields): fields
        }
    }
}

/// Header fields as an `nghttp2_nv` array whose names and values live as long as the process,
/// so nghttp2 takes them without copying (`NGHTTP2_NV_FLAG_NO_COPY_NAME | _VALUE`), and no
/// call builds them again: the fixed parts of every response.
final class PrebuiltHeaderBlock: Sendable {
    /// `:status: 200` and `content-type: application/grpc`.
    static let okGRPC = PrebuiltHeaderBlock([
        (":status", "200"), ("content-type", GRPCContentType.plain),
    ])
    /// `:status: 200` and `content-type: application/grpc+compact`.
    static let okGRPCCompact = PrebuiltHeaderBlock([
        (":status", "200"), ("content-type", GRPCContentType.preferred),
    ])
    /// The trailers of a call that succeeded: `grpc-status: 0`.
    static let statusOK = PrebuiltHeaderBlock([("grpc-status", "0")])

    let fields: [(String, String)]
    // Written once in `init`, read only afterwards, and never freed: the blocks are static.
    nonisolated(unsafe) let nameValues: UnsafeMutablePointer<nghttp2_nv>
    let count: Int

    private init(_ fields: [(String, String)]) {
        self.fields = fields
        count = fields.count
        nameValues = .allocate(capacity: fields.count)
        for (index, (name, value)) in fields.enumerated() {
            nameValues[index] = nghttp2_nv(
                name: Self.immortalCopy(name), value: Self.immortalCopy(value),
                namelen: name.utf8.count, valuelen: value.utf8.count,
                flags: UInt8(
                    NGHTTP2_NV_FLAG_NO_COPY_NAME.rawValue | NGHTTP2_NV_FLAG_NO_COPY_VALUE.rawValue))
        }
    }

    private static func immortalCopy(_ text: String) -> UnsafeMutablePointer<UInt8> {
        let bytes = Array(text.utf8)
        let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        copy.initialize(from: bytes, count: bytes.count)
        return copy
    }
}
