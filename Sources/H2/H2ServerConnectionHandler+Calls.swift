import CNGHTTP2
import NIOCore
import RPC

// Routing a request, running its handler on the connection's event loop, and answering it.
extension H2ServerConnectionHandler {
    /// Checks a complete request header block and finds its handler, or answers at once.
    func route(_ stream: ServerStream, streamID: Int32) {
        guard stream.methodIsPOST == true else {
            respondHTTP(
                stream, streamID: streamID, status: 405, text: "gRPC requests use POST\n",
                extraHeaders: [("allow", "POST")])
            return
        }
        switch stream.contentType?.treatment ?? .notGRPC {
        case .notGRPC:
            respondHTTP(
                stream, streamID: streamID, status: 415,
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
        guard let path = stream.path, let route = router.route(forPath: path) else {
            router.unknownMethodCalled(
                path: stream.path ?? "", metadata: Metadata(stream.metadata), peer: peer,
                receivedBy: readStartedAt)
            respond(
                streamID: streamID,
                error: RPCError(.unimplemented, "unknown method \(stream.path ?? "(none)")"))
            return
        }
        var deadline: NIODeadline?
        if let value = stream.timeout {
            guard let parsed = GRPCTimeout.parse(value) else {
                respond(
                    streamID: streamID,
                    error: RPCError(.invalidArgument, "malformed grpc-timeout '\(value)'"))
                return
            }
            deadline = loopNow + TimeAmount(clamping: parsed)
        }
        // Credentials are checked now, when access control can do so without waiting: a call
        // that will be refused is answered before its body is read, so that a caller without
        // a valid token cannot make the server hold request bytes (up to the connection's
        // budget, on every connection it opens).
        var context = RPCServerContext(
            method: route.method, metadata: Metadata(stream.metadata), peer: peer,
            receivedBy: readStartedAt)
        stream.metadata = Metadata.Packed()
        if let refusal = route.admitFromHeaders(&context) {
            respond(streamID: streamID, error: refusal)
            return
        }
        stream.context = context
        stream.route = route
        stream.machine.routed(deadline: deadline)
        streamTimersChanged(stream)
    }

    /// The request stream ended: run the handler on its one message.
    func endRequest(streamID: Int32) {
        guard let stream = streams[streamID], stream.machine.requestDidEnd() == .startHandler,
            let route = stream.route, var context = stream.context.take()
        else { return }
        // By then the whole request had arrived: the call's duration and a later check of state
        // count from the read that completed it.
        context.receivedBy = readStartedAt
        // A call refused here is answered without its handler; its method's observer still
        // sees it end, as it sees the calls that run.
        func refuse(_ error: RPCError) {
            route.refused(context, with: error)
            respond(streamID: streamID, error: error)
        }
        guard stream.deframer.messages.count == 1, !stream.deframer.hasPartialMessage else {
            let reason =
                stream.deframer.hasPartialMessage
                ? "the request ended inside a message" : "the request carries no message"
            refuse(RPCError(.invalidArgument, reason))
            return
        }
        // A call already past its deadline (`grpc-timeout: 0S`, or one that ran out while the
        // request arrived) is not started: its client has given up on it, and a command run
        // now would be applied after the client was told it failed.
        if let deadline = stream.machine.deadline, deadline <= loopNow {
            route.refused(context, with: Self.deadlineError)
            deadlineExceeded(streamID: streamID)
            return
        }
        // Handlers that outlive their streams (cancellation is only a request) still count.
        guard runningCalls < limits.concurrentStreamsMax else {
            refuse(RPCError(.resourceExhausted, "too many calls in progress on this connection"))
            return
        }
        let request = stream.deframer.takeMessages()[0]
        stream.deframer = GRPCMessageDeframer(messageBytesMax: 0)
        releaseBufferedBytes(of: stream)
        runningCalls += 1
        switch route.handler {
        case .unary(let handler):
            stream.machine.handlerStarted(streaming: false)
            startUnary(handler, request: request, context: context, streamID: streamID)
        case .serverStreaming(let handler):
            stream.machine.handlerStarted(streaming: true)
            startStreaming(
                handler, request: request, context: context, stream: stream, streamID: streamID)
        }
    }

    /// Starts a unary handler as a task that prefers this connection's event loop: a handler
    /// that never suspends runs to completion right here, and its answer is submitted before
    /// this returns; one that awaits comes back to the loop to answer.
    private func startUnary(
        _ handler: @escaping RPCRouter.Handler, request: [UInt8], context: RPCServerContext,
        streamID: Int32
    ) {
        let loop = self.context!.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        let task = calls.start(on: taskExecutor) {
            let result: Result<[UInt8], RPCError>
            do throws(RPCError) {
                result = .success(try await handler(request, context))
            } catch {
                result = .failure(error)
            }
            if loop.inEventLoop {
                bound.value.finishCall(streamID: streamID, result: result)
            } else {
                loop.execute { bound.value.finishCall(streamID: streamID, result: result) }
            }
        }
        attach(task, streamID: streamID)
    }

    /// Keeps a handler's task so that the stream's end can cancel it, unless the handler has
    /// already finished (it ran without suspending).
    func attach(_ task: Task<Void, Never>, streamID: Int32) {
        guard let stream = streams[streamID], case .running = stream.machine.state else { return }
        stream.task = task
    }

    // MARK: Timers

    /// The loop's clock, which stream deadlines are measured on (a test's embedded loop moves
    /// it by hand).
    var loopNow: NIODeadline { context?.eventLoop.now ?? .now() }

    /// One scheduled task per connection serves every stream's deadline and stall clock: it
    /// is armed for the earliest of them and moved only when a stream needs an earlier wake,
    /// so a call that finishes in time arms and cancels nothing.
    func streamTimersChanged(_ stream: ServerStream) {
        guard let next = stream.machine.nextTimerDeadline else { return }
        if let armed = streamTimerDeadline, armed <= next { return }
        armStreamTimer(at: next)
    }

    private func armStreamTimer(at deadline: NIODeadline) {
        guard let loop = context?.eventLoop else { return }
        streamTimer?.cancel()
        streamTimerDeadline = deadline
        let bound = NIOLoopBound(self, eventLoop: loop)
        streamTimer = loop.scheduleTask(deadline: deadline) {
            bound.value.streamTimerFired()
        }
    }

    /// The connection's stream timer woke: act on every stream whose deadline or stall time
    /// has come, then sleep until the next one.
    private func streamTimerFired() {
        streamTimer = nil
        streamTimerDeadline = nil
        let now = loopNow
        var due: [(Int32, ServerStreamStateMachine.OnTimer)] = []
        for (streamID, stream) in streams {
            let action = stream.machine.timerFired(at: now)
            if action != .none { due.append((streamID, action)) }
        }
        for (streamID, action) in due {
            switch action {
            case .deadlineExceeded: deadlineExceeded(streamID: streamID)
            case .stalled:
                logger.debug("resetting a stalled stream", metadata: ["stream": "\(streamID)"])
                session?.submitReset(streamID: streamID, errorCode: NGHTTP2_CANCEL.rawValue)
            case .none: break
            }
        }
        let next = streams.values.compactMap(\.machine.nextTimerDeadline).min()
        if let next { armStreamTimer(at: next) }
        flushOutput()
    }

    /// What a call past its deadline is answered.
    static let deadlineError = RPCError(.deadlineExceeded, "deadline exceeded")

    private func deadlineExceeded(streamID: Int32) {
        guard let stream = streams[streamID] else { return }
        let error = Self.deadlineError
        if stream.outbox != nil {
            endStreaming(stream, streamID: streamID, error: error, dropQueued: true)
        } else {
            respond(streamID: streamID, error: error, resetCode: NGHTTP2_CANCEL.rawValue)
        }
    }

    /// A handler finished: answer, unless the stream is gone or already answered.
    private func finishCall(streamID: Int32, result: Result<[UInt8], RPCError>) {
        runningCalls -= 1
        assert(runningCalls >= 0, "call accounting went negative")
        guard let stream = streams[streamID] else { return }
        stream.task = nil
        guard stream.machine.handlerFinished(at: loopNow) == .sendResponse else { return }
        switch result {
        case .success(let payload) where payload.count > limits.messageBytesMax:
            respond(
                streamID: streamID,
                error: RPCError(.resourceExhausted, "response exceeds the message size limit"))
        case .success(let payload):
            stream.responseBody = ResponseBody(
                message: payload, trailers: .prebuilt(.statusOK))
            streamTimersChanged(stream)
            session?.submitResponse(
                streamID: streamID, headers: .responseHeaders(stream.contentType), hasBody: true)
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
        switch stream.machine.answer(resetCode: resetCode) {
        case .none: return
        case .submitAndCancelHandler: stream.task?.cancel()
        case .submit: break
        }
        submitTrailersOnly(stream, streamID: streamID, error: error)
    }

    /// Submits a trailers-only response: HEADERS with `:status`, content-type and the status.
    func submitTrailersOnly(_ stream: ServerStream, streamID: Int32, error: RPCError?) {
        releaseBufferedBytes(of: stream)
        session?.submitResponse(
            streamID: streamID,
            headers: .built(
                [(":status", "200"), ("content-type", (stream.contentType ?? .grpc).text)]
                    + Self.statusFields(error)),
            hasBody: false)
    }

    /// `grpc-status` and, for an error, `grpc-message` (and `grpc-retry-pushback-ms` when the
    /// handler set it): the trailers of a response.
    static func statusFields(_ error: RPCError?) -> [(String, String)] {
        guard let error else { return [("grpc-status", "0")] }
        var fields = [
            ("grpc-status", "\(error.code.rawValue)"),
            ("grpc-message", GRPCMessageEncoding.encode(Self.bounded(error.message))),
        ]
        if let pushback = error.retryPushback {
            fields.append((RPCError.RetryPushback.headerName, pushback.headerValue))
        }
        return fields
    }

    /// The trailers that end a response with `error` (`nil`: status OK).
    static func trailers(_ error: RPCError?) -> HeaderFields {
        error == nil ? .prebuilt(.statusOK) : .built(statusFields(error))
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
        _ stream: ServerStream, streamID: Int32, status: Int, text: String,
        extraHeaders: [(String, String)] = []
    ) {
        stream.responseBody = ResponseBody(text: text)
        stream.machine.respondingWithoutHandler(at: loopNow, resetCode: NGHTTP2_NO_ERROR.rawValue)
        streamTimersChanged(stream)
        session?.submitResponse(
            streamID: streamID,
            headers: .built(
                [(":status", "\(status)"), ("content-type", "text/plain; charset=utf-8")]
                    + extraHeaders),
            hasBody: true)
    }

    // MARK: NGHTTP2SessionDelegate: response side

    func sessionDidSendEndOfStream(streamID: Int32) {
        guard let stream = streams[streamID], let code = stream.machine.sentEndOfStream() else {
            return
        }
        session?.submitReset(streamID: streamID, errorCode: code)
    }

    func sessionNextBodyChunk(streamID: Int32, maxCount: Int) -> NGHTTP2BodyChunk {
        guard let stream = streams[streamID] else {
            return NGHTTP2BodyChunk(byteCount: 0, isLast: true, trailers: nil)
        }
        if let outbox = stream.outbox, outbox.headersSent {
            return nextStreamingChunk(outbox, stream: stream, maxCount: maxCount)
        }
        guard let body = stream.responseBody else {
            return NGHTTP2BodyChunk(byteCount: 0, isLast: true, trailers: nil)
        }
        let count = min(maxCount, body.remaining)
        let isLast = count == body.remaining
        if isLast { stream.machine.bodyFinished() }
        return NGHTTP2BodyChunk(byteCount: count, isLast: isLast, trailers: isLast ? body.trailers : nil)
    }

    func sessionWriteBody(streamID: Int32, count: Int, into output: inout ByteBuffer) {
        guard let stream = streams[streamID] else {
            // The stream closed between nghttp2's read and its send: the frame must still be
            // whole, so pad it out (the peer discards DATA on a closed stream).
            output.writeRepeatingByte(0, count: count)
            return
        }
        if let outbox = stream.outbox, outbox.headersSent {
            outbox.pull(count, into: &output, at: loopNow)
            stream.machine.responseQueueChanged(waitingSince: outbox.waitingSince)
        } else {
            stream.responseBody!.write(count, to: &output)
            if stream.responseBody!.remaining == 0 { stream.responseBody = nil }
        }
    }
}
