import CNGHTTP2
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RPC

/// Drives an nghttp2 client session on one connection; many calls share it, one stream each.
///
/// Everything here runs on the channel's event loop; ``H2ClientConnection`` hops onto it.
final class H2ClientConnectionHandler: ChannelInboundHandler, NGHTTP2SessionDelegate {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let limits: RPCLimits
    private let authority: String
    /// `https` over TLS, `http` over h2c.
    private let scheme: String
    private var session: NGHTTP2Session?
    private var context: ChannelHandlerContext?
    private var streams: [Int32: ClientStream] = [:]
    private var tokens: [UInt64: Int32] = [:]
    private var closedError: RPCError?
    /// Set by the server's GOAWAY: the last stream it processes. Calls not started yet, and
    /// streams above it, never reached a handler: they may be sent again elsewhere.
    private var goawayLastStreamID: Int32?
    /// Shared with the connection, so that callers on any thread stop choosing it.
    let goingAway: NIOLockedValueBox<Bool>
    /// How the connection was set up, until the first call reports it to its observer.
    var unreportedSetup: RPCConnectionSetup?
    /// Succeeds when the server's first SETTINGS arrive: until then its limits (the header
    /// list size above all) are unknown, and nghttp2 assumes there are none. Fails if the
    /// connection closes first.
    private let serverSettings: EventLoopPromise<Void>?

    init(
        limits: RPCLimits, authority: String, scheme: String, goingAway: NIOLockedValueBox<Bool>,
        serverSettings: EventLoopPromise<Void>? = nil
    ) {
        self.limits = limits
        self.authority = authority
        self.scheme = scheme
        self.goingAway = goingAway
        self.serverSettings = serverSettings
    }

    // MARK: Calls

    /// Starts a unary call; `promise` completes with the response payload or an ``RPCError``.
    func startCall(
        _ method: MethodDescriptor, request: [UInt8], options: CallOptions,
        token: UInt64, promise: EventLoopPromise<[UInt8]>
    ) {
        do {
            try open(method, request: request, options: options, token: token, receiver: .unary(promise))
        } catch {
            promise.fail(error)
        }
        flushSoon()
    }

    /// Whether a flush is already scheduled for this loop tick.
    private var flushScheduled = false

    /// Writes what nghttp2 queued once per loop tick, however many calls start in it (a bench
    /// with many calls in flight wrote one socket write per call before).
    private func flushSoon() {
        guard !flushScheduled, let context else { return }
        flushScheduled = true
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            bound.value.flushScheduled = false
            bound.value.flushOutput()
        }
    }

    /// Starts a server-streaming call whose messages go to `buffer`; `started` completes once
    /// the request is submitted, or fails (with ``CallNotStarted`` when nothing was sent).
    func startStreamingCall(
        _ method: MethodDescriptor, request: [UInt8], options: CallOptions,
        token: UInt64, buffer: RPCMessageBuffer, started: EventLoopPromise<Void>
    ) {
        do {
            try open(
                method, request: request, options: options, token: token,
                receiver: .streaming(buffer))
            started.succeed()
        } catch {
            started.fail(error)
        }
        flushOutput()
    }

    /// The consumer of a streaming call took a message: when none waits any more, give the
    /// window held back to the server.
    func messageTaken(token: UInt64, stillQueued: Int) {
        guard stillQueued == 0, let streamID = tokens[token], let stream = streams[streamID],
            stream.heldWindowBytes > 0
        else { return }
        session?.consumeStream(streamID: streamID, bytes: stream.heldWindowBytes)
        stream.heldWindowBytes = 0
        flushOutput()
    }

    /// Submits a call's request.
    ///
    /// - Throws: ``CallNotStarted`` when the connection can start no call; ``RPCError``
    ///   RESOURCE_EXHAUSTED for a request over the limit, DEADLINE_EXCEEDED for a call whose
    ///   deadline has passed (it is not sent: the server would run it for nobody).
    private func open(
        _ method: MethodDescriptor, request: [UInt8], options: CallOptions, token: UInt64,
        receiver: ClientStream.Receiver
    ) throws {
        if let timeout = options.timeout, timeout <= .zero {
            throw RPCError(.deadlineExceeded, "the deadline passed before the call was sent")
        }
        guard let session, let context, closedError == nil else {
            throw CallNotStarted(
                error: closedError ?? RPCError(.unavailable, "the connection is closed"))
        }
        guard goawayLastStreamID == nil else {
            throw CallNotStarted(
                error: RPCError(.unavailable, "the server is closing this connection (GOAWAY)"))
        }
        guard request.count <= limits.messageBytesMax else {
            throw RPCError(.resourceExhausted, "request exceeds the message size limit")
        }
        // A `content-type` in the metadata replaces ours: tools use it to speak as a stock gRPC
        // client (`application/grpc`) or to probe how a server treats other content.
        let contentType = options.metadata["content-type"] ?? GRPCContentType.preferred
        var headers: [(String, String)] = [
            (":method", "POST"), (":scheme", scheme), (":path", method.path),
            (":authority", authority), ("content-type", contentType), ("te", "trailers"),
        ]
        if let timeout = options.timeout {
            headers.append(("grpc-timeout", GRPCTimeout.format(timeout)))
        }
        for field in options.metadata where field.name != "content-type" {
            headers.append((field.name, field.value))
        }
        // The server would reset the stream (ENHANCE_YOUR_CALM, "slow down"): say what is wrong.
        let headerListBytes = headers.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 32 }
        let serverMax = session.remoteMaxHeaderListSize
        guard headerListBytes <= serverMax else {
            throw RPCError(
                .resourceExhausted,
                "the request's header list is \(headerListBytes) bytes as HTTP/2 counts it; the "
                    + "server accepts at most \(serverMax) (its SETTINGS_MAX_HEADER_LIST_SIZE): send "
                    + "less metadata")
        }
        let stream = ClientStream(
            receiver: receiver, requestBody: GRPCFraming.frame(request),
            messageBytesMax: limits.messageBytesMax, observer: options.observer)
        stream.token = token
        let streamID: Int32
        do {
            streamID = try session.submitRequest(headers: headers)
        } catch {
            throw CallNotStarted(error: RPCError(.unavailable, "cannot start a stream: \(error)"))
        }
        streams[streamID] = stream
        tokens[token] = streamID
        // The first call on the connection reports its set-up; later ones find it taken.
        let newConnection = unreportedSetup
        unreportedSetup = nil
        options.observer?.didSendRequestHeaders(
            headers.map { Metadata.Field(name: $0.0, value: $0.1) }, newConnection: newConnection)
        if let timeout = options.timeout {
            armDeadline(streamID: streamID, after: timeout, loop: context.eventLoop)
        }
    }

    /// Cancels a call whose caller stopped waiting.
    func cancelCall(token: UInt64) {
        guard let streamID = tokens[token], streams[streamID] != nil else { return }
        fail(streamID: streamID, RPCError(.cancelled, "the call was cancelled"))
        flushOutput()
    }

    private func armDeadline(streamID: Int32, after timeout: Duration, loop: any EventLoop) {
        let bound = NIOLoopBound(self, eventLoop: loop)
        streams[streamID]?.deadline = loop.scheduleTask(in: TimeAmount(clamping: timeout)) {
            bound.value.fail(streamID: streamID, RPCError(.deadlineExceeded, "deadline exceeded"))
            bound.value.flushOutput()
        }
    }

    /// Ends a call now with `error` and resets its stream.
    private func fail(streamID: Int32, _ error: RPCError) {
        guard let stream = streams[streamID], stream.failure == nil else { return }
        stream.failure = error
        session?.submitReset(streamID: streamID, errorCode: NGHTTP2_CANCEL.rawValue)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        do {
            session = try NGHTTP2Session(role: .client, limits: limits, delegate: self)
        } catch {
            closedError = RPCError(.internal, "cannot create an HTTP/2 session: \(error)")
            context.close(promise: nil)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        flushOutput()  // the connection preface and our SETTINGS
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try session?.receive(unwrapInboundIn(data))
        } catch {
            failAll(RPCError(.unavailable, "HTTP/2 protocol error: \(error)"))
            context.close(promise: nil)
            return
        }
        flushOutput()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // flushOutput stops while the channel is not writable; go on once it is again, or a
        // request body larger than what one pass writes would wait for the server's next frame.
        if context.channel.isWritable { flushOutput() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RPCError(.unavailable, "the connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(RPCError(.unavailable, "connection error: \(error)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: RPCError) {
        if closedError == nil { closedError = error }
        // Ignored once the SETTINGS have arrived.
        serverSettings?.fail(ConnectionClosedBeforeSettings())
        let open = streams
        streams.removeAll()
        tokens.removeAll()
        for stream in open.values {
            stream.deadline?.cancel()
            stream.fail(stream.failure ?? error)
        }
    }

    private func flushOutput() {
        guard let context, let session else { return }
        do {
            try session.flush(to: context)
        } catch {
            failAll(RPCError(.unavailable, "HTTP/2 session failed: \(error)"))
            context.close(promise: nil)
            return
        }
        if session.isFinished {
            failAll(RPCError(.unavailable, "the server closed the connection"))
            context.close(promise: nil)
        }
    }

    // MARK: NGHTTP2SessionDelegate

    func sessionDidBeginHeaders(streamID: Int32) {}

    func sessionDidReceiveHeader(
        streamID: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        guard let stream = streams[streamID], stream.failure == nil else { return true }
        stream.headerListBytes += name.count + value.count + 32
        guard stream.headerListBytes <= limits.headerListBytesMax else {
            stream.failure = RPCError(.internal, "the response's header list is over the limit")
            return false  // the session resets the stream
        }
        stream.record(
            name: String(decoding: name, as: UTF8.self),
            value: String(decoding: value, as: UTF8.self))
        return true
    }

    func sessionDidReceiveHeaders(streamID: Int32, endStream: Bool) {
        streams[streamID]?.endHeaderBlock(endStream: endStream)
    }

    func sessionDidReceiveData(streamID: Int32, bytes: UnsafeRawBufferPointer) {
        // Only a 200 response carries gRPC messages; any other body is an HTTP error page,
        // and the status maps to the call's error when the stream closes. Bytes nobody takes
        // give their window back at once.
        guard let stream = streams[streamID], stream.failure == nil, stream.httpStatus == "200"
        else {
            session?.consume(streamID: streamID, bytes: bytes.count)
            return
        }
        do throws(RPCError) {
            try stream.deframer.append(bytes)
            switch stream.receiver {
            case .unary:
                session?.consume(streamID: streamID, bytes: bytes.count)
                if stream.deframer.messages.count > 1 {
                    throw RPCError(.internal, "a unary response carries more than one message")
                }
            case .streaming(let buffer):
                deliver(stream, buffer: buffer, streamID: streamID, bytes: bytes.count)
            }
        } catch {
            fail(streamID: streamID, error)
        }
    }

    /// Hands a streaming call's complete messages to its consumer. The connection's window
    /// is given back at once (other calls share it); the stream's is held back while
    /// messages wait, so a slow consumer holds at most one window of them.
    private func deliver(
        _ stream: ClientStream, buffer: RPCMessageBuffer, streamID: Int32, bytes: Int
    ) {
        var stillQueued = buffer.queuedCount
        for message in stream.deframer.takeMessages() {
            stillQueued = buffer.append(message)
        }
        session?.consumeConnection(bytes: bytes)
        if stillQueued == 0 {
            session?.consumeStream(streamID: streamID, bytes: stream.heldWindowBytes + bytes)
            stream.heldWindowBytes = 0
        } else {
            stream.heldWindowBytes += bytes
        }
    }

    func sessionDidReceiveEndOfData(streamID: Int32) {}

    func sessionDidSendEndOfStream(streamID: Int32) {}

    func sessionDidNoticeGlitch() {}
    func sessionDidReceiveReset(streamID: Int32) {}
    func sessionDidSendHeadersOrData() {}

    func sessionDidReceiveGoaway(lastStreamID: Int32) {
        goawayLastStreamID = min(goawayLastStreamID ?? .max, lastStreamID)
        goingAway.withLockedValue { $0 = true }
    }
    func sessionDidReceivePing(isAck: Bool, payload: UInt64) {}

    func sessionDidReceiveSettings() {
        serverSettings?.succeed()
    }

    func sessionDidCloseStream(streamID: Int32, errorCode: UInt32) {
        guard let stream = streams.removeValue(forKey: streamID) else { return }
        if let token = stream.token { tokens[token] = nil }
        stream.deadline?.cancel()
        // Above the server's last stream: refused unprocessed (RFC 9113 §6.8), like a call
        // never sent. A unary caller may send it again on another connection.
        if let last = goawayLastStreamID, streamID > last, case .unary(let promise) = stream.receiver
        {
            promise.fail(
                CallNotStarted(
                    error: RPCError(.unavailable, "the server went away before processing the call")))
            return
        }
        stream.finish(errorCode: errorCode)
    }

    func sessionNextBodyChunk(streamID: Int32, maxCount: Int) -> NGHTTP2BodyChunk {
        guard let stream = streams[streamID] else {
            return NGHTTP2BodyChunk(byteCount: 0, isLast: true, trailers: nil)
        }
        let count = min(maxCount, stream.requestBody.count - stream.sentBytes)
        return NGHTTP2BodyChunk(
            byteCount: count, isLast: stream.sentBytes + count == stream.requestBody.count,
            trailers: nil)
    }

    func sessionWriteBody(streamID: Int32, count: Int, into output: inout ByteBuffer) {
        guard let stream = streams[streamID] else {
            // Gone between nghttp2's read and its send: the frame must still be whole.
            output.writeRepeatingByte(0, count: count)
            return
        }
        output.writeBytes(stream.requestBody[stream.sentBytes..<stream.sentBytes + count])
        stream.sentBytes += count
    }
}

/// The connection closed before the server's SETTINGS arrived: it did not speak HTTP/2.
struct ConnectionClosedBeforeSettings: Error, CustomStringConvertible {
    var description: String {
        "the server closed the connection before its HTTP/2 SETTINGS — is it a gRPC server, and "
            + "TLS or cleartext as the client is?"
    }
}

/// A call that failed before anything of it was handed to the connection: safe to send again
/// on another connection, whatever the method.
struct CallNotStarted: Error {
    let error: RPCError
}

/// A unary call that failed after the server had sent its response headers, which
/// ``H2ClientConnection/unaryIfOpen(_:request:options:)`` throws instead of the bare error:
/// [gRFC A6](https://github.com/grpc/proposal/blob/master/A6-client-retries.md) calls such a
/// call committed, and a client does not retry it (the server began to answer; another
/// attempt could do its work twice).
public struct CommittedCallError: Error, Sendable {
    /// The call's status.
    public let error: RPCError
}
