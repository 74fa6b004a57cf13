import CNGHTTP2
import Logging
import NIOCore
import RPC

/// Serves gRPC-over-HTTP/2 on one connection: an nghttp2 server session driven from the
/// channel, with each call's handler running as a task that prefers the channel's event loop
/// (``EventLoopTaskExecutor``).
///
/// Everything here runs on the channel's event loop. A handler that never suspends answers
/// before the read that completed its request returns; one that awaits comes back to the loop
/// once. What nghttp2 queues is written once per read burst (`channelReadComplete`) and once
/// per loop tick for answers that come later (``flushOutput()``).
final class H2ServerConnectionHandler: ChannelInboundHandler, NGHTTP2SessionDelegate {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let router: RPCRouter
    let limits: RPCLimits
    /// The server's record of running handlers, which its shutdown waits for.
    let calls: ServerCalls
    var logger: Logger
    /// The server's budget of log lines that peers make it write (``PeerLogBudget``).
    let peerLog: PeerLogBudget
    /// Set and cleared here only: the session's callbacks reach this handler unretained
    /// (``NGHTTP2Session``), which holds while nothing else keeps the session.
    private(set) var session: NGHTTP2Session?
    var context: ChannelHandlerContext?
    var streams = StreamTable()
    var peer = "unknown"
    /// Handler tasks started and not yet finished, whether or not their stream is still open:
    /// a handler that outlives its stream still holds a slot until it returns.
    var runningCalls = 0
    /// Request bytes buffered across all streams (``RPCLimits/connectionRequestBytesMax``).
    var bufferedRequestBytes = 0
    /// Runs this connection's handler tasks on its event loop.
    var taskExecutor: EventLoopTaskExecutor!
    /// The one timer for every stream's deadline and stall clock, armed for the earliest.
    var streamTimer: Scheduled<Void>?
    var streamTimerDeadline: NIODeadline?
    /// Set while a read is being processed: output waits for `channelReadComplete`.
    private var isReading = false
    /// Output queued during a read, to write at its `channelReadComplete`.
    private var needsFlush = false
    /// Whether a flush is scheduled for the end of this loop tick.
    private var isFlushScheduled = false
    /// Where a graceful shutdown is: a GOAWAY notice first, then, one round trip later (the
    /// ACK of a PING sent with the notice), the final GOAWAY naming the last stream served.
    /// Calls that were on their way when the notice left are served, not refused.
    private enum Drain {
        case serving
        case noticeSent
        case goawaySent
    }

    private var drain = Drain.serving
    /// Set when the connection must close once what is queued has left (a policy GOAWAY).
    private var closeAfterFlush = false
    /// Set once our side of the connection is closing (see ``lingeringClose(context:)``).
    private var isLingering = false
    /// How long a closing connection waits for the peer to close its side.
    static let lingerTimeout = TimeAmount.seconds(2)
    /// How long a connection that must close may take to hand over its last frames before it
    /// is closed whatever is left: a peer that stopped reading must not hold it open.
    static let closingTimeout = TimeAmount.seconds(10)
    /// Armed once the connection must close (see ``closingTimeout``).
    private var closingTimer: Scheduled<Void>?
    /// Fires GOAWAY and close once no stream has been open for the idle timeout.
    ///
    /// Armed when the connection starts; a stream that opens does not cancel it, and the last
    /// one to close does not re-arm it: it only notes when the connection went idle
    /// (``idleSince``), and the timer, when it fires, closes the connection or sleeps again
    /// for what is left. One call at a time used to cancel and schedule a task (four heap
    /// allocations and the loop's scheduling work) per call.
    private var idleTimer: Scheduled<Void>?
    /// When the last stream closed (or the connection started); `nil` while a stream is open.
    private var idleSince: NIODeadline?
    /// Frames without requests this connection may still send (floods, MadeYouReset).
    private var glitches: GlitchBudget
    /// The peer's pings against gRPC's ping policy.
    private var pingStrikes: PingStrikes
    /// Streams that closed after their request arrived in full (see ``sessionDidReceiveReset``).
    private var recentlyCompleted = RecentStreamIDs(capacity: 64)
    /// When the peer last sent anything; keepalive pings only a silent peer.
    private var lastReadAt = NIODeadline.now()
    /// When the current (or last) read began: every request it completes had been received by
    /// then (`RPCServerContext.receivedBy`).
    private(set) var readStartedAt = ContinuousClock.now
    /// Fires when the peer may have been silent for the keepalive interval.
    private var keepaliveTimer: Scheduled<Void>?
    /// Armed while a keepalive PING waits for its ACK.
    private var keepaliveAckTimer: Scheduled<Void>?
    /// Armed while the channel takes no writes: a peer that reads nothing for the stall
    /// timeout is closed (its streams' resets and a GOAWAY could not leave either).
    private var writeStallTimer: Scheduled<Void>?

    /// How long the GOAWAY notice waits for its PING's ACK before the final GOAWAY.
    static let drainNoticeTimeout = TimeAmount.seconds(2)

    /// The opaque payloads of this side's PINGs.
    private static let keepalivePing: UInt64 = 0x6b65_6570_616c_6976  // "keepaliv"
    private static let drainPing: UInt64 = 0x6472_6169_6e69_6e67  // "draining"

    /// This connection's open streams, for the server's gauge.
    private let openStreams: OpenStreams

    init(
        router: RPCRouter, limits: RPCLimits, calls: ServerCalls, logger: Logger,
        openStreams: OpenStreams = OpenStreams(), peerLog: PeerLogBudget = PeerLogBudget()
    ) {
        self.router = router
        self.calls = calls
        self.limits = limits
        self.logger = logger
        self.openStreams = openStreams
        self.peerLog = peerLog
        self.glitches = GlitchBudget(
            burstMax: limits.glitchBurstMax, refillPerSecond: limits.glitchRefillPerSecond,
            now: .now())
        self.pingStrikes = PingStrikes(
            intervalMin: TimeAmount(clamping: limits.pingIntervalMin),
            strikesMax: limits.pingStrikesMax)
    }

    /// A peer's address as logs show it: `127.0.0.1:54321`, `[::1]:54321`.
    static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else {
            return address.description
        }
        if case .v6 = address { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        taskExecutor = EventLoopTaskExecutor(eventLoop: context.eventLoop)
        peer = context.channel.remoteAddress.map(Self.describe) ?? "unknown"
        logger[metadataKey: "peer"] = "\(peer)"
        do {
            session = try NGHTTP2Session(role: .server, limits: limits, delegate: self)
        } catch {
            logger.error("cannot create an HTTP/2 session", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelAllCalls()
        self.context = nil
        session = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        flushNow()  // our SETTINGS
        armIdleTimer()
        armKeepalive(at: .now() + TimeAmount(clamping: limits.keepaliveInterval))
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelAllCalls()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Closing: what the peer still sends is read only so the socket closes cleanly.
        guard !isLingering else { return }
        let buffer = unwrapInboundIn(data)
        lastReadAt = .now()
        readStartedAt = .now
        isReading = true
        defer { isReading = false }
        needsFlush = true  // acks and window updates at least
        do {
            try session?.receive(buffer)
        } catch {
            // A protocol violation or a flood: nghttp2 has queued GOAWAY; send it and close.
            logger.debug("closing a connection", metadata: ["error": "\(error)"])
            closeAfterFlush = true
        }
    }

    /// The end of a read burst: what every read of it (and every handler that answered
    /// without suspending) queued leaves in one write.
    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush { flushNow() }
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Back-pressure: while the peer does not read, stop reading its requests too; what
        // nghttp2 queues meanwhile (PING and SETTINGS acks) is bounded by its flood limits.
        let writable = context.channel.isWritable
        context.channel.setOption(ChannelOptions.autoRead, value: writable).whenFailure { _ in }
        if writable {
            writeStallTimer?.cancel()
            writeStallTimer = nil
            flushNow()
        } else if writeStallTimer == nil {
            let channel = context.channel
            let logger = self.logger
            writeStallTimer = context.eventLoop.scheduleTask(
                in: TimeAmount(clamping: limits.streamStallTimeout)
            ) {
                logger.debug("closing a connection whose peer stopped reading")
                channel.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is H2DrainEvent {
            startDraining()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: Output

    /// Asks for what nghttp2 has queued to be written: at the end of the read burst in
    /// progress, else once at the end of this loop tick, however many answers ask meanwhile.
    /// Safe inside nghttp2 callbacks.
    func flushOutput() {
        guard !isReading else {
            needsFlush = true
            return
        }
        guard !isFlushScheduled, let loop = context?.eventLoop else { return }
        isFlushScheduled = true
        let bound = NIOLoopBound(self, eventLoop: loop)
        loop.execute {
            bound.value.isFlushScheduled = false
            bound.value.flushNow()
        }
    }

    /// Writes whatever nghttp2 has queued (as far as the channel is writable), then closes the
    /// connection if it is finished. Never called from inside an nghttp2 callback.
    private func flushNow() {
        needsFlush = false
        guard let context, let session else { return }
        do {
            try session.flush(to: context)
        } catch {
            logger.debug("closing a connection", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            return
        }
        guard session.isFinished || closeAfterFlush || (drain == .goawaySent && streams.isEmpty)
        else { return }
        armClosingDeadline(context: context)
        // Not before nghttp2 has handed over its last frame (the GOAWAY): a channel that stopped
        // taking writes in the middle of the flush leaves the rest queued there, and writability
        // coming back flushes it and comes back here. Half-closed first, it would be lost.
        guard !session.wantsToWrite else { return }
        lingeringClose(context: context)
    }

    /// Closes the connection ``closingTimeout`` after it had to close, whether or not its last
    /// frames have left by then (they wait for a peer that reads).
    private func armClosingDeadline(context: ChannelHandlerContext) {
        guard closingTimer == nil else { return }
        let channel = context.channel
        closingTimer = context.eventLoop.scheduleTask(in: Self.closingTimeout) {
            channel.close(promise: nil)
        }
    }

    /// Closes once the last frames (a GOAWAY, final trailers) have left: first our side only,
    /// then, once the peer closes too or after ``lingerTimeout``, the whole connection. A
    /// socket closed at once with the peer's frames still unread would make the kernel answer
    /// with a TCP reset, which can destroy the GOAWAY before the peer reads it; so until the
    /// end, what the peer still sends is read and dropped.
    private func lingeringClose(context: ChannelHandlerContext) {
        guard !isLingering else { return }
        isLingering = true
        let channel = context.channel
        let loop = context.eventLoop
        // An empty write completes once every write before it has left.
        let written = context.writeAndFlush(NIOAny(channel.allocator.buffer(capacity: 0)))
        written.whenComplete { _ in
            channel.close(mode: .output).whenFailure { _ in channel.close(promise: nil) }
            loop.scheduleTask(in: Self.lingerTimeout) { channel.close(promise: nil) }
        }
    }

    /// Starts a graceful shutdown with the GOAWAY notice and a PING; the final GOAWAY follows
    /// the PING's ACK, or ``drainNoticeTimeout`` if the peer does not answer.
    private func startDraining() {
        guard drain == .serving, let session, let loop = context?.eventLoop else { return }
        drain = .noticeSent
        session.submitShutdownNotice()
        session.submitPing(payload: Self.drainPing)
        flushOutput()
        let bound = NIOLoopBound(self, eventLoop: loop)
        loop.scheduleTask(in: Self.drainNoticeTimeout) {
            bound.value.finishDraining()
        }
    }

    /// The final GOAWAY: no stream after the last one processed will be served.
    private func finishDraining() {
        guard drain == .noticeSent, let session else { return }
        drain = .goawaySent
        session.submitGoaway()
        flushOutput()
    }

    /// Closes the connection with GOAWAY `errorCode` once it has left (a policy breach).
    private func closeForPolicy(errorCode: UInt32, debugData: String) {
        guard !closeAfterFlush else { return }
        closeAfterFlush = true
        session?.submitGoaway(errorCode: errorCode, debugData: debugData)
    }

    /// Pings a peer that has been silent for the keepalive interval; closes the connection
    /// when the ACK does not come back in time. One timer per connection, re-armed from the
    /// time of the last read rather than on every read.
    private func armKeepalive(at deadline: NIODeadline) {
        guard let loop = context?.eventLoop else { return }
        let bound = NIOLoopBound(self, eventLoop: loop)
        keepaliveTimer = loop.scheduleTask(deadline: deadline) {
            bound.value.keepaliveDue()
        }
    }

    private func keepaliveDue() {
        let interval = TimeAmount(clamping: limits.keepaliveInterval)
        let silentUntil = lastReadAt + interval
        guard silentUntil <= .now() else { return armKeepalive(at: silentUntil) }
        if keepaliveAckTimer == nil, let loop = context?.eventLoop {
            session?.submitPing(payload: Self.keepalivePing)
            flushOutput()
            let bound = NIOLoopBound(self, eventLoop: loop)
            keepaliveAckTimer = loop.scheduleTask(
                in: TimeAmount(clamping: limits.keepaliveTimeout)
            ) {
                bound.value.peerLog.log(
                    .notice, "closing a connection: no answer to a keepalive ping",
                    to: bound.value.logger)
                bound.value.context?.close(promise: nil)
            }
        }
        armKeepalive(at: .now() + interval)
    }

    /// Starts the idle clock; a connection that carries no call for the idle timeout (or never
    /// sends a request at all) is shut down gracefully.
    private func armIdleTimer() {
        // Not once the connection is gone: a handler finishing after it closed still closes
        // its stream here.
        guard streams.isEmpty, idleSince == nil, context?.channel.isActive == true else { return }
        let now = loopNow
        idleSince = now
        if idleTimer == nil { scheduleIdleTimer(at: now + idleTimeout) }
    }

    /// Stops the idle clock while a stream is open; the timer stays armed (see ``idleTimer``).
    private func pauseIdleTimer() {
        idleSince = nil
    }

    private var idleTimeout: TimeAmount { TimeAmount(clamping: limits.connectionIdleTimeout) }

    private func scheduleIdleTimer(at deadline: NIODeadline) {
        guard let loop = context?.eventLoop else { return }
        let bound = NIOLoopBound(self, eventLoop: loop)
        idleTimer = loop.scheduleTask(deadline: deadline) { bound.value.idleTimerFired() }
    }

    private func idleTimerFired() {
        idleTimer = nil
        // A stream is open: the last one to close starts the clock again.
        guard let idleSince else { return }
        let due = idleSince + idleTimeout
        if loopNow < due {
            scheduleIdleTimer(at: due)  // calls came and went since it was armed
            return
        }
        logger.debug("closing an idle connection")
        startDraining()
    }

    private func cancelIdleTimer() {
        idleTimer?.cancel()
        idleTimer = nil
        idleSince = nil
    }

    private func cancelAllCalls() {
        cancelIdleTimer()
        keepaliveTimer?.cancel()
        keepaliveAckTimer?.cancel()
        writeStallTimer?.cancel()
        closingTimer?.cancel()
        streamTimer?.cancel()
        streamTimer = nil
        streamTimerDeadline = nil
        for stream in streams.values { stream.cancelEverything() }
        if !streams.isEmpty { openStreams.closed(streams.count) }
        streams.removeAll()
        bufferedRequestBytes = 0
    }

    // MARK: NGHTTP2SessionDelegate: request side

    func sessionDidNoticeGlitch() {
        guard !glitches.record(at: .now()) else { return }
        peerLog.log(.notice, "closing a connection: too many frames without requests", to: logger)
        // GOAWAY(ENHANCE_YOUR_CALM); the session then finishes and flushOutput closes, within
        // the closing timeout even if the GOAWAY cannot leave.
        session?.terminate(errorCode: NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
        closeAfterFlush = true
    }

    /// A reset of a call the client had sent in full (or that was already answered) is a
    /// cancellation, the client's right; a reset of a request still arriving, or of a stream
    /// never seen, is a glitch (Rapid Reset, MadeYouReset).
    func sessionDidReceiveReset(streamID: Int32) {
        let cancelsACall: Bool
        if let stream = streams[streamID] {
            cancelsACall = stream.machine.resetCancelsACall
        } else {
            cancelsACall = recentlyCompleted.remove(streamID)
        }
        if !cancelsACall { sessionDidNoticeGlitch() }
    }

    func sessionDidReceivePing(isAck: Bool, payload: UInt64) {
        guard !isAck else {
            if payload == Self.keepalivePing {
                keepaliveAckTimer?.cancel()
                keepaliveAckTimer = nil
            } else if payload == Self.drainPing {
                finishDraining()
            }
            return
        }
        let verdict = pingStrikes.judge(pingAt: .now())
        if verdict != .expected { sessionDidNoticeGlitch() }
        guard verdict == .tooMany else { return }
        peerLog.log(
            .notice, "closing a connection: too many pings",
            metadata: ["strikes": "\(pingStrikes.strikes)"], to: logger)
        closeForPolicy(errorCode: NGHTTP2_ENHANCE_YOUR_CALM.rawValue, debugData: "too_many_pings")
    }

    func sessionDidBeginHeaders(streamID: Int32) {
        guard streams[streamID] == nil else { return }  // trailers of a known stream
        // Past the GOAWAY we submitted: the peer will take the stream as unprocessed (and may
        // send it again elsewhere), so it is not served.
        if let last = session?.goawayLastStreamID, streamID > last { return }
        let stream = ServerStream(openedAt: loopNow, limits: limits)
        streams[streamID] = stream
        openStreams.opened()
        pauseIdleTimer()
        streamTimersChanged(stream)
    }

    func sessionDidReceiveHeader(
        streamID: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        guard let stream = streams[streamID] else { return true }
        stream.headerListBytes += name.count + value.count + 32
        guard stream.headerListBytes <= limits.headerListBytesMax else {
            logger.debug("header list over the limit", metadata: ["stream": "\(streamID)"])
            return false  // the session resets the stream with ENHANCE_YOUR_CALM
        }
        if stream.machine.isReceivingHeaders { stream.record(name: name, value: value) }
        return true
    }

    func sessionDidReceiveHeaders(streamID: Int32, endStream: Bool) {
        guard let stream = streams[streamID] else { return }
        if stream.machine.isReceivingHeaders { route(stream, streamID: streamID) }
        if endStream { endRequest(streamID: streamID) }
    }

    func sessionDidReceiveData(streamID: Int32, bytes: UnsafeRawBufferPointer) {
        guard let stream = streams[streamID], stream.machine.isReceivingBody else { return }
        do throws(RPCError) {
            guard bufferedRequestBytes + bytes.count <= limits.connectionRequestBytesMax else {
                throw RPCError(
                    .resourceExhausted,
                    "the connection buffers more than \(limits.connectionRequestBytesMax) "
                        + "request bytes")
            }
            stream.bufferedBytes += bytes.count
            bufferedRequestBytes += bytes.count
            try stream.deframer.append(bytes)
            if stream.deframer.messages.count > 1 {
                throw RPCError(.invalidArgument, "a unary call takes exactly one request message")
            }
        } catch {
            respond(streamID: streamID, error: error)
        }
    }

    func sessionDidReceiveEndOfData(streamID: Int32) {
        endRequest(streamID: streamID)
    }

    func sessionDidCloseStream(streamID: Int32, errorCode: UInt32) {
        if let stream = streams.removeValue(forKey: streamID) {
            openStreams.closed()
            if stream.machine.requestEnded { recentlyCompleted.insert(streamID) }
            stream.cancelEverything()
            releaseBufferedBytes(of: stream)
        }
        if streams.isEmpty { armIdleTimer() }
    }

    /// Response headers or data left: the peer's next pings are not strikes.
    func sessionDidSendHeadersOrData() {
        pingStrikes.sentHeadersOrData()
    }

    /// A client's GOAWAY changes nothing here: nghttp2 stops reading new streams, and the
    /// connection closes when its calls are done.
    func sessionDidReceiveGoaway(lastStreamID: Int32) {}

    /// Gives a stream's buffered request bytes back to the connection's budget.
    func releaseBufferedBytes(of stream: ServerStream) {
        bufferedRequestBytes -= stream.bufferedBytes
        stream.bufferedBytes = 0
        assert(bufferedRequestBytes >= 0, "buffered byte accounting went negative")
    }
}
