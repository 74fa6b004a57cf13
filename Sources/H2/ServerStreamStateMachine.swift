import NIOCore

/// The lifecycle of one server stream, from its first HEADERS to its close, as a value that
/// does no I/O: the connection handler calls a `mutating` event method and carries out the
/// action it returns (STYLE §3; grpc-swift-nio-transport's `GRPCStreamStateMachine`).
///
/// It also holds the stream's two clocks, as deadlines the connection's one timer reads
/// (``nextTimerDeadline``): the call's `grpc-timeout` and the stall deadline (the request must
/// arrive, and the response leave, within the stall timeout). Time comes in as arguments, so
/// tests move it by hand.
struct ServerStreamStateMachine {
    enum State: Equatable {
        /// Header fields are arriving.
        case receivingHeaders
        /// The method is known; DATA is arriving.
        case receivingBody
        /// The handler runs (a server-streaming handler's messages may already be leaving).
        case running(streaming: Bool)
        /// The handler has returned: a unary response's body (or a streaming response's queue)
        /// is being pulled by nghttp2, and the trailers follow it.
        case responding
        /// Our last frame is submitted; anything more the peer sends is ignored.
        case answered
        /// The stream is closed; only late handler results arrive now.
        case closed
    }

    private(set) var state = State.receivingHeaders
    /// Whether the peer has sent END_STREAM.
    private(set) var requestEnded = false
    /// When the call's `grpc-timeout` runs out.
    private(set) var deadline: NIODeadline?
    /// When the stream counts as stalled (see ``RPCLimits/streamStallTimeout``).
    private(set) var stallDeadline: NIODeadline?
    /// The RST_STREAM code to send once our last frame has left: set for an answer given
    /// while the peer may still be sending. (Submitted earlier, nghttp2 would mark the stream
    /// closing and drop the answer.)
    private(set) var resetAfterAnswer: UInt32?
    let stallTimeout: TimeAmount

    /// A stream whose HEADERS began at `now`: its request must arrive within `stallTimeout`.
    init(openedAt now: NIODeadline, stallTimeout: TimeAmount) {
        self.stallTimeout = stallTimeout
        stallDeadline = now + stallTimeout
    }

    /// The earliest of the stream's deadlines, which the connection's timer must wake for.
    var nextTimerDeadline: NIODeadline? {
        switch (deadline, stallDeadline) {
        case (let a?, let b?): min(a, b)
        case (let a?, nil): a
        case (nil, let b?): b
        case (nil, nil): nil
        }
    }

    /// Whether the stream still reads request headers (a trailer block is ignored).
    var isReceivingHeaders: Bool { state == .receivingHeaders }

    /// Whether DATA is still taken as part of the request.
    var isReceivingBody: Bool { state == .receivingBody }

    // MARK: Request

    /// The header block named a method this server serves; the call's deadline, if any, is
    /// `deadline`.
    mutating func routed(deadline: NIODeadline?) {
        precondition(state == .receivingHeaders, "routed twice")
        state = .receivingBody
        self.deadline = deadline
    }

    enum OnRequestEnd: Equatable {
        /// The request is complete: check it, then start the handler.
        case startHandler
        /// Nothing to do (answered already, or the header block was refused).
        case none
    }

    /// The peer sent END_STREAM.
    mutating func requestDidEnd() -> OnRequestEnd {
        requestEnded = true
        return state == .receivingBody ? .startHandler : .none
    }

    /// The handler starts on the complete request: the request no longer stalls, and the
    /// response's stall clock starts when there is something to send.
    mutating func handlerStarted(streaming: Bool) {
        precondition(state == .receivingBody, "a handler starts on a received request")
        state = .running(streaming: streaming)
        stallDeadline = nil
    }

    // MARK: Response

    enum OnHandlerFinished: Equatable {
        /// Submit the unary response; its body and trailers follow through the data provider.
        case sendResponse
        /// End the streaming response (trailers after the queued messages).
        case endStreaming
        /// The stream was answered or closed meanwhile: drop the result.
        case discard
    }

    /// The handler returned (or threw) at `now`.
    mutating func handlerFinished(at now: NIODeadline) -> OnHandlerFinished {
        guard case .running(let streaming) = state else { return .discard }
        deadline = nil
        // Either way the response is on its way out now: an answer given from here on is
        // the call's own status, and nothing is left to cancel.
        state = .responding
        if streaming { return .endStreaming }
        stallDeadline = now + stallTimeout
        return .sendResponse
    }

    /// A body that is not a handler's (an HTTP error's text) starts leaving at `now`. If the
    /// peer is still sending, `resetCode` is sent once the body's last frame has left (as
    /// ``answer(resetCode:)`` does): nothing else would ever end a stream that no handler
    /// reads, once its answer has left.
    mutating func respondingWithoutHandler(at now: NIODeadline, resetCode: UInt32) {
        state = .responding
        deadline = nil
        stallDeadline = now + stallTimeout
        if !requestEnded { resetAfterAnswer = resetCode }
    }

    /// A streaming response's queue changed: bytes have waited since `waitingSince` (`nil`:
    /// nothing waits, the handler is between messages and nothing can stall).
    mutating func responseQueueChanged(waitingSince: NIODeadline?) {
        stallDeadline = waitingSince.map { $0 + stallTimeout }
    }

    enum OnAnswer: Equatable {
        /// Submit the answer; no handler runs.
        case submit
        /// Submit the answer and cancel the running handler.
        case submitAndCancelHandler
        /// Already answered or closed: nothing to send.
        case none
    }

    /// The stream is answered now with a final status (trailers-only, or the trailers of a
    /// streaming response). If the peer is still sending, `resetCode` is sent once our last
    /// frame has left, so that it stops and still sees the status first.
    mutating func answer(resetCode: UInt32) -> OnAnswer {
        let wasRunning: Bool
        switch state {
        case .answered, .closed: return .none
        case .running: wasRunning = true
        case .receivingHeaders, .receivingBody, .responding: wasRunning = false
        }
        state = .answered
        deadline = nil
        if !requestEnded { resetAfterAnswer = resetCode }
        return wasRunning ? .submitAndCancelHandler : .submit
    }

    /// A unary response's last body bytes and trailers were handed to nghttp2.
    mutating func bodyFinished() {
        if state == .responding { state = .answered }
        stallDeadline = nil
    }

    /// Our frame carrying END_STREAM has left: the RST_STREAM to send now, if any.
    mutating func sentEndOfStream() -> UInt32? {
        defer { resetAfterAnswer = nil }
        stallDeadline = nil
        return resetAfterAnswer
    }

    // MARK: Time

    enum OnTimer: Equatable {
        case none
        /// The `grpc-timeout` ran out: answer DEADLINE_EXCEEDED (trailers after a streaming
        /// response's messages) with ``answer(resetCode:)``, which says whether a handler is
        /// to be cancelled, and reset the stream with CANCEL if the peer still sends.
        case deadlineExceeded
        /// Nothing arrived or left in time: reset the stream with CANCEL.
        case stalled
    }

    /// The connection's timer woke at `now`; the deadline that is due (the call's first).
    mutating func timerFired(at now: NIODeadline) -> OnTimer {
        if let deadline, deadline <= now {
            self.deadline = nil
            switch state {
            case .receivingBody, .running: return .deadlineExceeded
            case .receivingHeaders, .responding, .answered, .closed: break
            }
        }
        if let stallDeadline, stallDeadline <= now {
            self.stallDeadline = nil
            return state == .closed ? .none : .stalled
        }
        return .none
    }

    // MARK: End

    /// Whether the peer's RST_STREAM cancels a call (the client's right: the request was
    /// complete, or already answered) rather than abandoning a request still arriving, which
    /// is a glitch (Rapid Reset, MadeYouReset).
    var resetCancelsACall: Bool {
        switch state {
        case .running, .responding, .answered, .closed: true
        case .receivingHeaders, .receivingBody: requestEnded
        }
    }

    enum OnClose: Equatable {
        /// Cancel the handler, which still runs (it still counts until it returns).
        case cancelHandler
        case none
    }

    /// The stream closed (both sides ended, or a reset).
    mutating func closed() -> OnClose {
        let running = if case .running = state { true } else { false }
        state = .closed
        deadline = nil
        stallDeadline = nil
        resetAfterAnswer = nil
        return running ? .cancelHandler : .none
    }
}
