/// How a request's `content-type` is treated (`Protocol/WIRE.md` §2.2).
///
/// The schema fixes the codec, so `application/grpc`, `application/grpc+compact` and
/// `application/grpc;…` are accepted and answered with the same content-type. Other gRPC codecs
/// (`+proto`, `+json`) are refused with INVALID_ARGUMENT; anything that is not gRPC gets HTTP 415.
public enum GRPCContentType: Hashable, Sendable {
    /// A gRPC content-type with our codec (or none named).
    case accepted
    /// A gRPC content-type naming a codec we do not speak.
    case unsupportedCodec(String)
    /// Not gRPC at all (or missing): HTTP 415.
    case notGRPC

    /// Our codec's content-type subtype.
    public static let codecSubtype = "compact"
    /// The content-type this codec's clients send.
    public static let preferred = "application/grpc+compact"
    /// The content-type that stock gRPC clients send and accept.
    public static let plain = "application/grpc"

    /// Classifies a request's content-type header value.
    public static func classify(_ value: String?) -> GRPCContentType {
        guard let value else { return .notGRPC }
        let lowered = value.lowercased()
        let base = "application/grpc"
        guard lowered.hasPrefix(base) else { return .notGRPC }
        let rest = lowered.dropFirst(base.count)
        if rest.isEmpty || rest.hasPrefix(";") { return .accepted }
        guard rest.hasPrefix("+") else { return .notGRPC }
        let subtype = rest.dropFirst().prefix { $0 != ";" }
        return subtype == codecSubtype ? .accepted : .unsupportedCodec(String(subtype))
    }
}
