import CNGHTTP2
import NIOCore
import RPC

/// One call on the client: the request body being sent and the response being collected.
///
/// A class used only on the connection's event loop, so its buffers are mutated in place.
final class ClientStream {
    /// Where the response goes.
    enum Receiver {
        /// One message, when the stream closes.
        case unary(EventLoopPromise<[UInt8]>)
        /// Each message as it completes, then the status.
        case streaming(RPCMessageBuffer)
    }

    let receiver: Receiver
    let requestBody: [UInt8]
    var sentBytes = 0
    var httpStatus: String?
    var grpcStatus: String?
    var grpcMessage: String?
    /// `grpc-retry-pushback-ms`, put on the call's error.
    var retryPushback: RPCError.RetryPushback?
    var deframer: GRPCMessageDeframer
    /// Response header and trailer bytes, counted as HTTP/2 does (name + value + 32).
    var headerListBytes = 0
    var failure: RPCError?
    var deadline: Scheduled<Void>?
    /// The caller's handle for cancelling the call.
    var token: UInt64?
    /// DATA bytes of a streaming response whose stream-level flow-control window is held
    /// back while messages wait for the consumer: the server can send at most one window
    /// ahead of what the consumer has taken.
    var heldWindowBytes = 0
    /// The caller's observer of header blocks (`CallOptions.observer`), if any.
    let observer: (any RPCCallObserver)?
    /// The fields of the header block being received, kept only for an observer.
    private var observedFields: [Metadata.Field] = []
    /// Whether response headers arrived (not a trailers-only response): from then on gRFC A6
    /// calls the call committed, and a unary failure is not retried (``CommittedCallError``).
    private(set) var receivedResponseHeaders = false

    init(
        receiver: Receiver, requestBody: [UInt8], messageBytesMax: Int,
        observer: (any RPCCallObserver)?
    ) {
        self.receiver = receiver
        self.requestBody = requestBody
        self.deframer = GRPCMessageDeframer(messageBytesMax: messageBytesMax)
        self.observer = observer
    }

    /// Records a header field of the response headers or trailers.
    func record(name: String, value: String) {
        switch name {
        case ":status": httpStatus = value
        case "grpc-status": grpcStatus = value
        case "grpc-message": grpcMessage = GRPCMessageEncoding.decode(value)
        case RPCError.RetryPushback.headerName: retryPushback = .init(headerValue: value)
        default: break
        }
        if observer != nil { observedFields.append(Metadata.Field(name: name, value: value)) }
    }

    /// Hands the header block just received to the observer: the trailers when it ended the
    /// stream (a trailers-only response included), else the response headers.
    func endHeaderBlock(endStream: Bool) {
        if !endStream { receivedResponseHeaders = true }
        guard let observer else { return }
        let fields = observedFields
        observedFields = []
        if endStream {
            observer.didReceiveTrailers(fields)
        } else {
            observer.didReceiveResponseHeaders(fields)
        }
    }

    /// The unary call's outcome once the stream has closed with `errorCode`.
    func outcome(errorCode: UInt32) -> Result<[UInt8], RPCError> {
        if let error = status(errorCode: errorCode) { return .failure(error) }
        guard deframer.messages.count == 1, !deframer.hasPartialMessage else {
            return .failure(RPCError(.internal, "a unary response must carry one message"))
        }
        return .success(deframer.messages[0])
    }

    /// The call's status once the stream has closed with `errorCode`: `nil` for OK.
    func status(errorCode: UInt32) -> RPCError? {
        if let failure { return failure }
        if let grpcStatus {
            guard let raw = Int(grpcStatus) else {
                return RPCError(.internal, "malformed grpc-status '\(grpcStatus)'")
            }
            guard raw != 0 else { return nil }
            var error = RPCError(RPCStatusCode(rawValue: raw), grpcMessage ?? "")
            error.retryPushback = retryPushback
            return error
        }
        if errorCode != NGHTTP2_NO_ERROR.rawValue { return Self.resetError(errorCode) }
        if let httpStatus, httpStatus != "200" { return Self.httpError(httpStatus) }
        return RPCError(.internal, "the response carries no grpc-status")
    }

    /// Ends the call once the stream has closed with `errorCode`.
    func finish(errorCode: UInt32) {
        switch receiver {
        case .unary(let promise):
            switch outcome(errorCode: errorCode) {
            case .success(let payload): promise.succeed(payload)
            case .failure(let error): promise.fail(unaryFailure(error))
            }
        case .streaming(let buffer):
            var error = status(errorCode: errorCode)
            if error == nil, deframer.hasPartialMessage {
                error = RPCError(.internal, "the response ended inside a message")
            }
            buffer.finish(error.map { .failure($0) } ?? .success(()))
        }
    }

    /// Fails the call with `error`, whoever waits for it.
    func fail(_ error: RPCError) {
        switch receiver {
        case .unary(let promise): promise.fail(unaryFailure(error))
        case .streaming(let buffer): buffer.finish(.failure(error))
        }
    }

    /// What a unary call fails with: `error`, marked committed once response headers arrived.
    private func unaryFailure(_ error: RPCError) -> any Error {
        receivedResponseHeaders ? CommittedCallError(error: error) : error
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
