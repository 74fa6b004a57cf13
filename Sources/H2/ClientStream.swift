import CNGHTTP2
import NIOCore
import RPC

/// One call on the client: the request body being sent and the response being collected.
///
/// A class used only on the connection's event loop, so its buffers are mutated in place.
final class ClientStream {
    let promise: EventLoopPromise<[UInt8]>
    let requestBody: [UInt8]
    var sentBytes = 0
    var httpStatus: String?
    var grpcStatus: String?
    var grpcMessage: String?
    var deframer: GRPCMessageDeframer
    /// Response header and trailer bytes, counted as HTTP/2 does (name + value + 32).
    var headerListBytes = 0
    var failure: RPCError?
    var deadline: Scheduled<Void>?
    /// The caller's handle for cancelling the call.
    var token: UInt64?

    init(promise: EventLoopPromise<[UInt8]>, requestBody: [UInt8], messageBytesMax: Int) {
        self.promise = promise
        self.requestBody = requestBody
        self.deframer = GRPCMessageDeframer(messageBytesMax: messageBytesMax)
    }

    /// Records a header field of the response headers or trailers.
    func record(name: String, value: String) {
        switch name {
        case ":status": httpStatus = value
        case "grpc-status": grpcStatus = value
        case "grpc-message": grpcMessage = GRPCMessageEncoding.decode(value)
        default: break
        }
    }

    /// The call's outcome once the stream has closed with `errorCode`.
    func outcome(errorCode: UInt32) -> Result<[UInt8], RPCError> {
        if let failure { return .failure(failure) }
        if let grpcStatus {
            guard let raw = Int(grpcStatus) else {
                return .failure(RPCError(.internal, "malformed grpc-status '\(grpcStatus)'"))
            }
            guard raw == 0 else {
                return .failure(RPCError(RPCStatusCode(rawValue: raw), grpcMessage ?? ""))
            }
            guard deframer.messages.count == 1, !deframer.hasPartialMessage else {
                return .failure(RPCError(.internal, "a unary response must carry one message"))
            }
            return .success(deframer.messages[0])
        }
        if errorCode != NGHTTP2_NO_ERROR.rawValue { return .failure(Self.resetError(errorCode)) }
        if let httpStatus, httpStatus != "200" {
            return .failure(Self.httpError(httpStatus))
        }
        return .failure(RPCError(.internal, "the response carries no grpc-status"))
    }

    /// gRPC's mapping of RST_STREAM codes (doc/PROTOCOL-HTTP2.md, "Errors").
    static func resetError(_ code: UInt32) -> RPCError {
        switch code {
        case NGHTTP2_REFUSED_STREAM.rawValue:
            RPCError(.unavailable, "the server refused the stream; the call may be retried")
        case NGHTTP2_CANCEL.rawValue: RPCError(.cancelled, "the stream was cancelled")
        case NGHTTP2_ENHANCE_YOUR_CALM.rawValue:
            RPCError(.resourceExhausted, "the server asked to slow down (ENHANCE_YOUR_CALM)")
        case NGHTTP2_INADEQUATE_SECURITY.rawValue:
            RPCError(.permissionDenied, "inadequate transport security")
        default: RPCError(.internal, "the stream was reset with HTTP/2 error \(code)")
        }
    }

    /// gRPC's mapping of HTTP statuses (doc/http-grpc-status-mapping.md).
    static func httpError(_ status: String) -> RPCError {
        let code: RPCStatusCode =
            switch status {
            case "400": .internal
            case "401": .unauthenticated
            case "403": .permissionDenied
            case "404": .unimplemented
            case "429", "502", "503", "504": .unavailable
            default: .unknown
            }
        return RPCError(code, "HTTP status \(status)")
    }
}
