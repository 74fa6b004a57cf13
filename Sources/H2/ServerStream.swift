import NIOCore
import RPC

/// One request stream on the server, from its first HEADERS to its close: its lifecycle
/// (``ServerStreamStateMachine``, a value) and the buffers and handles that go with it.
///
/// A class owned by ``H2ServerConnectionHandler`` and used only on its event loop: its
/// buffers are mutated in place (a struct copied out of the stream table would copy the
/// request buffered so far on every DATA chunk).
final class ServerStream {
    var machine: ServerStreamStateMachine
    /// The method and its handler, once the header block is routed.
    var route: RPCRoute?
    /// The call's context, made when the header block is routed (and its caller admitted then
    /// when access control could decide from the headers alone).
    var context: RPCServerContext?
    /// The handler's task while it runs (`nil` before, and while it starts: a handler that
    /// never suspends may finish before its task handle is known).
    var task: Task<Void, Never>?
    var path: String?
    /// `:method`: whether it was POST (`nil`: absent).
    var methodIsPOST: Bool?
    var contentType: ResponseContentType?
    var timeout: String?
    /// The ordinary header fields, packed as they arrived; decoded only if a handler asks.
    var metadata = Metadata.Packed()
    /// Header list size as HTTP/2 counts it: name + value + 32 per field.
    var headerListBytes = 0
    var deframer: GRPCMessageDeframer
    /// Request bytes this stream holds, counted against the connection's budget.
    var bufferedBytes = 0
    /// A unary response's body (a framed message, or an HTTP error's text) while nghttp2
    /// pulls it, and the trailers that follow it.
    var responseBody: ResponseBody?
    /// The response of a server-streaming call, from the handler's start; `nil` for unary.
    var outbox: ResponseOutbox?

    init(openedAt now: NIODeadline, limits: RPCLimits) {
        machine = ServerStreamStateMachine(
            openedAt: now, stallTimeout: TimeAmount(clamping: limits.streamStallTimeout))
        deframer = GRPCMessageDeframer(messageBytesMax: limits.messageBytesMax)
    }

    /// Records one header field of the request's header block, without making a `String` of
    /// any field but `:path` (and the rare ones).
    func record(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        switch HeaderName(name) {
        case .path: path = String(decoding: value, as: UTF8.self)
        case .method: methodIsPOST = value.holds("POST")
        case .contentType: contentType = ResponseContentType(value)
        case .grpcTimeout: timeout = String(decoding: value, as: UTF8.self)
        case .ignored: break
        case .metadata: metadata.append(name: name, value: value)
        }
    }

    /// Cancels the handler's task and fails waiting writes; the stream is going away.
    func cancelEverything() {
        if machine.closed() == .cancelHandler { task?.cancel() }
        outbox?.releaseWrites(failing: RPCError(.cancelled, "the stream was closed"))
    }
}

/// A request header name, as far as the server cares.
private enum HeaderName {
    case path, method, contentType, grpcTimeout, ignored, metadata

    init(_ name: UnsafeBufferPointer<UInt8>) {
        // HTTP/2 field names are lower case (nghttp2 refuses others), so bytes compare.
        if name.first == UInt8(ascii: ":") {
            if name.holds(":path") {
                self = .path
            } else if name.holds(":method") {
                self = .method
            } else {
                self = .ignored  // :scheme, :authority: nothing to act on
            }
            return
        }
        switch name.count {
        case 2 where name.holds("te"): self = .ignored
        case 10 where name.holds("user-agent"): self = .ignored
        case 12 where name.holds("content-type"): self = .contentType
        case 12 where name.holds("grpc-timeout"): self = .grpcTimeout
        case 13 where name.holds("grpc-encoding"): self = .ignored
        case 20 where name.holds("grpc-accept-encoding"): self = .ignored
        default: self = .metadata
        }
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether these are the bytes of `text`. A request's every header name is compared with
    /// a few of these: `elementsEqual(text.utf8)` walked a `String.UTF8View` a byte at a time,
    /// ~2 % of a GetBalance call.
    fileprivate func holds(_ text: StaticString) -> Bool {
        count == text.utf8CodeUnitCount
            && UnsafeRawBufferPointer(self).elementsEqual(
                UnsafeRawBufferPointer(start: text.utf8Start, count: count))
    }

    /// Whether these are the bytes of `text`.
    fileprivate func holds(contentsOf text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            bytes.count == count
                && UnsafeRawBufferPointer(bytes).elementsEqual(UnsafeRawBufferPointer(self))
        }
    }
}

/// The request's content-type, which the response echoes (what stock gRPC clients expect,
/// `Protocol/WIRE.md` §2.2): the two common ones without a `String`, any other as sent.
enum ResponseContentType {
    case grpc
    case grpcCompact
    case other(String)

    init(_ value: UnsafeBufferPointer<UInt8>) {
        if value.holds(contentsOf: GRPCContentType.plain) {
            self = .grpc
        } else if value.holds(contentsOf: GRPCContentType.preferred) {
            self = .grpcCompact
        } else {
            self = .other(String(decoding: value, as: UTF8.self))
        }
    }

    /// How the request is treated: the two content-types recognized as they arrived are
    /// accepted without classifying their text again (a lower-cased copy per request).
    var treatment: GRPCContentType {
        switch self {
        case .grpc, .grpcCompact: .accepted
        case .other(let text): GRPCContentType.classify(text)
        }
    }

    var text: String {
        switch self {
        case .grpc: GRPCContentType.plain
        case .grpcCompact: GRPCContentType.preferred
        case .other(let text): text
        }
    }
}

/// A unary response's body while nghttp2 pulls it: an optional gRPC length prefix, then the
/// bytes, copied once, straight into the outgoing frame.
struct ResponseBody {
    private let prefix: (UInt8, UInt8, UInt8, UInt8, UInt8)?
    private let bytes: [UInt8]
    private var sent = 0
    /// What follows the body: the trailers of a gRPC response, none for HTTP text.
    let trailers: HeaderFields?

    /// A gRPC message: the 5-byte prefix, then `payload`.
    init(message payload: [UInt8], trailers: HeaderFields) {
        let length = UInt32(payload.count)
        prefix = (
            0, UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
            UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)
        )
        bytes = payload
        self.trailers = trailers
    }

    /// Plain bytes without trailers (an HTTP error's text).
    init(text: String) {
        prefix = nil
        bytes = Array(text.utf8)
        trailers = nil
    }

    private var prefixCount: Int { prefix == nil ? 0 : GRPCFraming.prefixBytes }

    /// Bytes not yet sent.
    var remaining: Int { prefixCount + bytes.count - sent }

    /// Appends the next `count` bytes to `output`.
    mutating func write(_ count: Int, to output: inout ByteBuffer) {
        precondition(count <= remaining, "more body bytes asked for than are left")
        var left = count
        if let prefix, sent < GRPCFraming.prefixBytes {
            let fromPrefix = min(left, GRPCFraming.prefixBytes - sent)
            withUnsafeBytes(of: prefix) { all in
                _ = output.writeBytes(UnsafeRawBufferPointer(rebasing: all[sent..<sent + fromPrefix]))
            }
            sent += fromPrefix
            left -= fromPrefix
        }
        let start = sent - prefixCount
        output.writeBytes(bytes[start..<start + left])
        sent += left
    }
}

/// Sent through a connection's pipeline to start a graceful shutdown of that connection.
public struct H2DrainEvent: Sendable {
    public init() {}
}
