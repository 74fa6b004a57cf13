import NIOCore
import RPC

/// One request stream on the server, from its first HEADERS to its close.
///
/// A value owned by ``H2ServerConnectionHandler``; it moves through ``Phase`` in one direction.
struct ServerStream {
    enum Phase {
        /// Header fields are arriving.
        case receivingHeaders
        /// The method is known; DATA is arriving.
        case receivingBody(MethodDescriptor, RPCRouter.Handler)
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
    var deadline: Scheduled<Void>?

    init(messageBytesMax: Int) {
        deframer = GRPCMessageDeframer(messageBytesMax: messageBytesMax)
    }

    /// Records one header field of the request's header block.
    mutating func record(name: String, value: String) {
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

    /// The content-type to answer with: the caller's own, as DESIGN §3 says.
    var responseContentType: String { contentType ?? GRPCContentType.plain }
}

/// Sent through a connection's pipeline to start a graceful shutdown of that connection.
public struct H2DrainEvent: Sendable {
    public init() {}
}
