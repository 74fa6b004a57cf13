import NIOCore
import RPC

/// One request stream on the server, from its first HEADERS to its close.
///
/// A class owned by ``H2ServerConnectionHandler`` and used only on its event loop: its
/// buffers are mutated in place (a struct copied out of the stream table would copy the
/// request buffered so far on every DATA chunk). It moves through ``Phase`` in one direction.
final class ServerStream {
    enum Phase {
        /// Header fields are arriving.
        case receivingHeaders
        /// The method is known; DATA is arriving.
        case receivingBody(MethodDescriptor, RPCMethodHandler)
        /// The handler runs; its task is cancelled if the stream closes first.
        case running(Task<Void, Never>)
        /// The response is being sent: body bytes pulled by nghttp2, then trailers.
        case responding(body: [UInt8], sentBytes: Int, trailers: [(String, String)]?)
        /// Answered; anything more the peer sends on the stream is ignored.
        case answered
    }

    var phase: Phase = .receivingHeaders
    var path: String?
    var method: String?
    var contentType: String?
    var timeout: String?
    var metadata = Metadata()
    /// Header list size as HTTP/2 counts it: name + value + 32 per field.
    var headerListBytes = 0
    var requestEnded = false
    var deframer: GRPCMessageDeframer
    /// Request bytes this stream holds, counted against the connection's budget.
    var bufferedBytes = 0
    /// The call's `grpc-timeout`.
    var deadline: Scheduled<Void>?
    /// Fires when the request takes too long to arrive or the response to leave.
    var stallTimer: Scheduled<Void>?
    /// The RST_STREAM code to send once our last frame has left: set for an answer given
    /// while the peer may still be sending. (Submitted earlier, nghttp2 would mark the stream
    /// closing and drop the answer.)
    var resetAfterAnswer: UInt32?
    /// The response of a server-streaming call, from the handler's start; `nil` for unary.
    var outbox: ResponseOutbox?

    init(messageBytesMax: Int) {
        deframer = GRPCMessageDeframer(messageBytesMax: messageBytesMax)
    }

    /// Records one header field of the request's header block.
    func record(name: String, value: String) {
        switch name {
        case ":path": path = value
        case ":method": method = value
        case "content-type": contentType = value
        case "grpc-timeout": timeout = value
        case _ where name.hasPrefix(":"): break  // :scheme, :authority: nothing to act on
        case "te", "user-agent", "grpc-accept-encoding", "grpc-encoding": break
        default: metadata.add(name, value)
        }
    }

    /// The content-type to answer with: the caller's own, which is what stock gRPC clients
    /// expect (`Protocol/WIRE.md` §2.2).
    var responseContentType: String { contentType ?? GRPCContentType.plain }

    /// Cancels the timers and the handler's task; the stream is going away.
    func cancelEverything() {
        if case .running(let task) = phase { task.cancel() }
        deadline?.cancel()
        stallTimer?.cancel()
        outbox?.releaseWrites(failing: RPCError(.cancelled, "the stream was closed"))
    }
}

/// Sent through a connection's pipeline to start a graceful shutdown of that connection.
public struct H2DrainEvent: Sendable {
    public init() {}
}
