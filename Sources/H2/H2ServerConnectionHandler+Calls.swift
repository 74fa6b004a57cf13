import CNGHTTP2
import NIOCore
import RPC

// Routing a request, running its handler off the event loop, and answering it.
extension H2ServerConnectionHandler {
    /// Checks a complete request header block and finds its handler, or answers at once.
    func route(streamID: Int32) {
        guard let stream = streams[streamID] else { return }
        guard stream.method == "POST" else {
            respondHTTP(
                streamID: streamID, status: 405, text: "gRPC requests use POST\n",
                extraHeaders: [("allow", "POST")])
            return
        }
        switch GRPCContentType.classify(stream.contentType) {
        case .notGRPC:
            respondHTTP(
                streamID: streamID, status: 415,
                text: "unsupported content-type; gRPC requests use application/grpc\n")
            return
        case .unsupportedCodec(let codec):
            respond(
                streamID: streamID,
                error: RPCError(
                    .invalidArgument,
                    "codec '\(codec)' is not served; use \(GRPCContentType.plain) or "
                        + GRPCContentType.preferred))
            return
        case .accepted:
            break
        }
        guard let path = stream.path, let (method, handler) = router.handler(forPath: path) else {
            respond(
                streamID: streamID,
                error: RPCError(.unimplemented, "unknown method \(stream.path ?? "(none)")"))
            return
        }
        var timeout: Duration?
        if let value = stream.timeout {
            guard let parsed = GRPCTimeout.parse(value) else {
                respond(
                    streamID: streamID,
                    error: RPCError(.invalidArgument, "malformed grpc-timeout '\(value)'"))
                return
            }
            timeout = parsed
        }
        stream.phase = .receivingBody(method, handler)
        if let timeout { armDeadline(stream, streamID: streamID, after: timeout) }
    }

    /// The request stream ended: run the handler on its one message.
    func endRequest(streamID: Int32) {
        guard let stream = streams[streamID] else { return }
        stream.requestEnded = true
        guard case .receivingBody(let method, let handler) = stream.phase else { return }
        guard stream.deframer.messages.count == 1, !stream.deframer.hasPartialMessage else {
            let reason =
                stream.deframer.hasPartialMessage
                ? "the request ended inside a message" : "the request carries no message"
            respond(streamID: streamID, error: RPCError(.invalidArgument, reason))
            return
        }
        // Handlers that outlive their streams (cancellation is only a request) still count.
        guard runningCalls < limits.concurrentStreamsMax else {
            respond(
                streamID: streamID,
                error: RPCError(.resourceExhausted, "too many calls in progress on this connection"))
            return
        }
        let request = stream.deframer.messages[0]
        stream.deframer = GRPCMessageDeframer(messageBytesMax: 0)
        releaseBufferedBytes(of: stream)
        stream.stallTimer?.cancel()
        let context = RPCServerContext(method: method, metadata: stream.metadata, peer: peer)
        runningCalls += 1
        switch handler {
        case .unary(let handler):
            startUnary(handler, request: request, context: context, stream: stream, streamID: streamID)
        case .serverStreaming(let handler):
            startStreaming(
                handler, request: request, context: context, stream: stream, streamID: streamID)
        }
    }

    private func startUnary(
        _ handler: @escaping RPCRouter.Handler, request: [UInt8], context: RPCServerContext,
        stream: ServerStream, streamID: Int32
    ) {
        let loop = self.context!.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        let task = calls.start {
            let result: Result<[UInt8], RPCError>
            do throws(RPCError) {
                result = .success(try await handler(request, context))
            } catch {
                result = .failure(error)
            }
            loop.execute { bound.value.finishCall(streamID: streamID, result: result) }
        }
        stream.phase = .running(task)
    }

    // MARK: Timers

    func armDeadline(_ stream: ServerStream, streamID: Int32, after timeout: Duration) {
        guard let loop = context?.eventLoop else { return }
        let bound = NIOLoopBound(self, eventLoop: loop)
        stream.deadline = loop.scheduleTask(in: TimeAmount(clamping: timeout)) {
            bound.value.deadlineExpired(streamID: streamID)
        }
    }

    /// Arms the stall timer: the request must arrive, or the response leave, in time.
    func armStallTimer(_ stream: ServerStream, streamID: Int32) {
        guard let loop = context?.eventLoop else { return }
        let bound = NIOLoopBound(self, eventLoop: loop)
        stream.stallTimer?.cancel()
        stream.stallTimer = loop.scheduleTask(in: TimeAmount(clamping: limits.streamStallTimeout)) {
            bound.value.logger.debug("resetting a stalled stream", metadata: ["stream": "\(streamID)"])
            bound.value.session?.submitReset(streamID: streamID, errorCode: NGHTTP2_CANCEL.rawValue)
            bound.value.flushOutput()
        }
    }

    private func deadlineExpired(streamID: Int32) {
        guard let stream = streams[streamID] else { return }
        switch stream.phase {
        case .running(let task) where stream.outbox != nil:
            task.cancel()
            endStreaming(
                stream, streamID: streamID,
                error: RPCError(.deadlineExceeded, "deadline exceeded"))
            flushOutput()
        case .receivingBody, .running:
            if case .running(let task) = stream.phase { task.cancel() }
            respond(
                streamID: streamID, error: RPCError(.deadlineExceeded, "deadline exceeded"),
                resetCode: NGHTTP2_CANCEL.rawValue)
            flushOutput()
        case .receivingHeaders, .responding, .answered:
            break
        }
    }

    /// A handler finished: answer, unless the stream is gone or already answered.
    private func finishCall(streamID: Int32, result: Result<[UInt8], RPCError>) {
        runningCalls -= 1
        assert(runningCalls >= 0, "call accounting went negative")
        guard let stream = streams[streamID], case .running = stream.phase else { return }
        stream.deadline?.cancel()
        switch result {
        case .success(let payload) where payload.count > limits.messageBytesMax:
            respond(
                streamID: streamID,
                error: RPCError(.resourceExhausted, "response exceeds the message size limit"))
        case .success(let payload):
            stream.phase = .responding(
                body: GRPCFraming.frame(payload), sentBytes: 0, trailers: [("grpc-status", "0")])
            armStallTimer(stream, streamID: streamID)
            session?.submitResponse(
                streamID: streamID,
                headers: [(":status", "200"), ("content-type", stream.responseContentType)],
                hasBody: true)
        case .failure(let error):
            respond(streamID: streamID, error: error)
        }
        flushOutput()
    }

    // MARK: Answers

    /// Answers with a gRPC error (`nil`: status OK) as a trailers-only response. If the peer is
    /// still sending, the stream is reset with `resetCode` once the answer has left, so the
    /// peer stops sending and sees the status first. (If it has finished, our END_STREAM
    /// closes the stream, and a frame on a closed stream would be a protocol error.)
    func respond(streamID: Int32, error: RPCError?, resetCode: UInt32 = NGHTTP2_NO_ERROR.rawValue) {
        guard let stream = streams[streamID] else { return }
        stream.deadline?.cancel()
        stream.phase = .answered
        releaseBufferedBytes(of: stream)
        session?.submitResponse(
            streamID: streamID,
            headers: [(":status", "200"), ("content-type", stream.responseContentType)]
                + Self.statusFields(error),
            hasBody: false)
        if !stream.requestEnded {
            stream.resetAfterAnswer = resetCode
        }
    }

    /// `grpc-status` and, for an error, `grpc-message`: the trailers of a response.
    static func statusFields(_ error: RPCError?) -> [(String, String)] {
        guard let error else { return [("grpc-status", "0")] }
        return [
            ("grpc-status", "\(error.code.rawValue)"),
            ("grpc-message", GRPCMessageEncoding.encode(Self.bounded(error.message))),
        ]
    }

    /// A status message cut to at most 1 KiB of UTF-8 (on a character boundary): messages may
    /// quote what the caller sent, and a header must stay far below any peer's header limit.
    static func bounded(_ message: String) -> String {
        let limit = 1024
        guard message.utf8.count > limit else { return message }
        var cut = ""
        for character in message {
            guard cut.utf8.count + character.utf8.count <= limit - 3 else { break }
            cut.append(character)
        }
        return cut + "..."
    }

    /// Answers a request that is not gRPC with a plain HTTP status and a line of text.
    private func respondHTTP(
        streamID: Int32, status: Int, text: String, extraHeaders: [(String, String)] = []
    ) {
        guard let stream = streams[streamID] else { return }
        stream.phase = .responding(body: Array(text.utf8), sentBytes: 0, trailers: nil)
        armStallTimer(stream, streamID: streamID)
        session?.submitResponse(
            streamID: streamID,
            headers: [(":status", "\(status)"), ("content-type", "text/plain; charset=utf-8")]
                + extraHeaders,
            hasBody: true)
    }

    // MARK: NGHTTP2SessionDelegate: response side

    func sessionDidSendEndOfStream(streamID: Int32) {
        guard let stream = streams[streamID], let code = stream.resetAfterAnswer else { return }
        stream.resetAfterAnswer = nil
        session?.submitReset(streamID: streamID, errorCode: code)
    }

    func sessionReadBody(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer)
        -> NGHTTP2BodyChunk
    {
        guard let stream = streams[streamID] else {
            return NGHTTP2BodyChunk(byteCount: 0, isLast: true, trailers: nil)
        }
        if let outbox = stream.outbox, outbox.headersSent {
            return readStreamingBody(outbox, streamID: streamID, into: buffer)
        }
        guard case .responding(let body, let sent, let trailers) = stream.phase else {
            return NGHTTP2BodyChunk(byteCount: 0, isLast: true, trailers: nil)
        }
        let count = min(buffer.count, body.count - sent)
        body.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[sent..<sent + count]))
        }
        let isLast = sent + count == body.count
        stream.phase =
            isLast ? .answered : .responding(body: body, sentBytes: sent + count, trailers: trailers)
        return NGHTTP2BodyChunk(byteCount: count, isLast: isLast, trailers: isLast ? trailers : nil)
    }
}
