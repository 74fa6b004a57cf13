import CNGHTTP2
import NIOCore
import RPC

// Server-streaming calls: the handler writes messages through an outbox that nghttp2's data
// provider drains as flow control allows; the response HEADERS go with the first message, the
// trailers after the last.
extension H2ServerConnectionHandler {
    /// Starts a server-streaming handler on the connection's event loop (as a unary one);
    /// its writes queue their message directly when they run there.
    func startStreaming(
        _ handler: @escaping RPCRouter.StreamingHandler, request: [UInt8],
        context: RPCServerContext, stream: ServerStream, streamID: Int32
    ) {
        let loop = self.context!.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        stream.outbox = ResponseOutbox()
        let writer = RPCMessageWriter { (payload) throws(RPCError) in
            let written = loop.makePromise(of: Void.self)
            if loop.inEventLoop {
                bound.value.write(payload, streamID: streamID, promise: written)
            } else {
                loop.execute { bound.value.write(payload, streamID: streamID, promise: written) }
            }
            do {
                try await written.futureResult.get()
            } catch let error as RPCError {
                throw error
            } catch {
                throw RPCError(.cancelled, "the stream was closed")
            }
        }
        let task = calls.start(on: taskExecutor) {
            let result: Result<Void, RPCError>
            do throws(RPCError) {
                result = .success(try await handler(request, writer, context))
            } catch {
                result = .failure(error)
            }
            if loop.inEventLoop {
                bound.value.finishStreaming(streamID: streamID, result: result)
            } else {
                loop.execute { bound.value.finishStreaming(streamID: streamID, result: result) }
            }
        }
        attach(task, streamID: streamID)
    }

    /// Queues one message of a running call; `promise` completes when the handler may write
    /// the next one.
    private func write(_ payload: [UInt8], streamID: Int32, promise: EventLoopPromise<Void>) {
        guard let stream = streams[streamID], let outbox = stream.outbox, outbox.ended == nil,
            case .running = stream.machine.state
        else {
            let ended = streams[streamID]?.outbox?.ended
            promise.fail(ended ?? RPCError(.cancelled, "the stream was closed"))
            return
        }
        guard payload.count <= limits.messageBytesMax else {
            let error = RPCError(
                .resourceExhausted,
                "response message of \(payload.count) bytes exceeds the limit of "
                    + "\(limits.messageBytesMax) bytes")
            endStreaming(stream, streamID: streamID, error: error)
            promise.fail(error)
            flushOutput()
            return
        }
        if !outbox.headersSent {
            outbox.headersSent = true
            session?.submitResponse(
                streamID: streamID, headers: .responseHeaders(stream.contentType), hasBody: true)
        }
        outbox.enqueue(GRPCFraming.frame(payload), at: loopNow)
        resume(outbox, streamID: streamID)
        queueChanged(stream, outbox)
        if outbox.hasRoom { promise.succeed() } else { outbox.waitingWrites.append(promise) }
        flushOutput()
    }

    /// The handler returned: trailers follow the queued messages.
    private func finishStreaming(streamID: Int32, result: Result<Void, RPCError>) {
        runningCalls -= 1
        assert(runningCalls >= 0, "call accounting went negative")
        guard let stream = streams[streamID] else { return }
        stream.task = nil
        guard stream.machine.handlerFinished(at: loopNow) == .endStreaming else { return }
        switch result {
        case .success: endStreaming(stream, streamID: streamID, error: nil)
        case .failure(let error): endStreaming(stream, streamID: streamID, error: error)
        }
        flushOutput()
    }

    /// Ends a streaming call with `error` (`nil`: OK): a trailers-only answer if nothing was
    /// written, else trailers after the queued messages: every message a write accepted
    /// leaves, whatever the status, unless `dropQueued` (the deadline has passed: only the
    /// message partly sent is finished). Later writes fail.
    func endStreaming(
        _ stream: ServerStream, streamID: Int32, error: RPCError?, dropQueued: Bool = false
    ) {
        guard let outbox = stream.outbox, outbox.ended == nil else { return }
        let ended = error ?? RPCError(.cancelled, "the call has ended")
        outbox.ended = ended
        outbox.releaseWrites(failing: ended)
        switch stream.machine.answer(resetCode: NGHTTP2_NO_ERROR.rawValue) {
        case .none: return
        case .submitAndCancelHandler: stream.task?.cancel()
        case .submit: break
        }
        guard outbox.headersSent else {
            submitTrailersOnly(stream, streamID: streamID, error: error)
            return
        }
        if dropQueued { outbox.dropUnstarted() }
        // The trailers start waiting now, whatever the handler did before.
        if outbox.isEmpty { outbox.lastProgressAt = loopNow }
        outbox.trailers = Self.trailers(error)
        resume(outbox, streamID: streamID)
        queueChanged(stream, outbox)
    }

    /// The data provider's read for a streaming response.
    func nextStreamingChunk(_ outbox: ResponseOutbox, stream: ServerStream, maxCount: Int)
        -> NGHTTP2BodyChunk
    {
        if outbox.isEmpty, outbox.trailers == nil {
            outbox.isDeferred = true
            return .deferred
        }
        let count = min(maxCount, outbox.queuedBytes)
        // The writes may go on once these bytes are off the queue.
        if outbox.queuedBytes - count <= ResponseOutbox.queuedBytesMax, outbox.ended == nil {
            outbox.releaseWrites()
        }
        guard count == outbox.queuedBytes, let trailers = outbox.trailers else {
            return NGHTTP2BodyChunk(byteCount: count, isLast: false)
        }
        outbox.trailers = nil
        stream.machine.bodyFinished()
        return NGHTTP2BodyChunk(byteCount: count, isLast: true, trailers: trailers)
    }

    private func resume(_ outbox: ResponseOutbox, streamID: Int32) {
        guard outbox.isDeferred else { return }
        outbox.isDeferred = false
        session?.resumeData(streamID: streamID)
    }

    /// While bytes wait in the outbox, they must start leaving within the stall timeout; a
    /// client that stops reading (a zero window) gets its stream reset with CANCEL, as a
    /// unary response that stalls does. An outbox with nothing queued (the handler is
    /// between messages) does not stall.
    private func queueChanged(_ stream: ServerStream, _ outbox: ResponseOutbox) {
        stream.machine.responseQueueChanged(waitingSince: outbox.waitingSince)
        streamTimersChanged(stream)
    }
}
