import Logging
import NIOCore

/// TLS in front of the HTTP/2 handlers, for either role: ciphertext on the channel side,
/// plaintext on the pipeline side, OpenSSL between them through memory BIOs.
///
/// - Writes made before the handshake has finished (the HTTP/2 preface and SETTINGS) wait
///   and leave with the first flush after it; so does anything written while OpenSSL needs
///   input first.
/// - Writes are encrypted as they come and sent on `flush`: the records of many writes leave
///   in one socket write. Past ``ciphertextWriteThresholdBytes`` they are written (not
///   flushed) early, so that the channel's writability reflects them.
/// - The handshake must finish with ALPN `h2` within the context's timeout.
/// - `close` sends close_notify first; the peer's close_notify is answered and closes.
///
/// Everything runs on the channel's event loop.
final class TLSHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Ciphertext that is written to the channel before a flush asks for it.
    static let ciphertextWriteThresholdBytes = 64 << 10
    /// How long a close waits for the last ciphertext (close_notify, an alert) to reach the
    /// socket before it closes anyway: a peer that reads nothing must not hold it open.
    static let closeNotifyTimeout = TimeAmount.seconds(2)

    private enum State { case idle, handshaking, active, closing, closed }

    private let connection: TLSConnection
    private let handshakeTimeout: Duration
    private var logger: Logger?
    private let handshakePromise: EventLoopPromise<Void>?
    private var state = State.idle
    private var handshakeTimer: Scheduled<Void>?
    /// Plaintext not encrypted yet, with the promises of its writes.
    private var unencrypted = CircularBuffer<(buffer: ByteBuffer, promise: EventLoopPromise<Void>?)>()
    /// Promises of writes encrypted into ciphertext that has not reached the channel yet.
    private var encryptedPromises: [EventLoopPromise<Void>] = []
    /// The last ciphertext written to the channel, while it is in flight: a close waits for it.
    private var lastWrite: EventLoopFuture<Void>?
    private var peer = "unknown"
    private let peerLog: PeerLogBudget?

    /// - Parameters:
    ///   - connection: the connection's `SSL`, in the server or client role.
    ///   - handshakeTimeout: how long the handshake may take once the channel is active.
    ///   - logger: where a server logs refused handshakes (`nil` for a client, which reports
    ///     through `handshakePromise` and `errorCaught`).
    ///   - peerLog: the server's budget of lines peers make it write, which a refused handshake
    ///     takes from; `nil`: no limit.
    ///   - handshakePromise: completed when the handshake finishes or fails.
    init(
        connection: TLSConnection, handshakeTimeout: Duration, logger: Logger?,
        peerLog: PeerLogBudget? = nil, handshakePromise: EventLoopPromise<Void>? = nil
    ) {
        self.connection = connection
        self.handshakeTimeout = handshakeTimeout
        self.logger = logger
        self.peerLog = peerLog
        self.handshakePromise = handshakePromise
    }

    // MARK: Inbound

    func handlerAdded(context: ChannelHandlerContext) {
        if let address = context.channel.remoteAddress {
            let host = address.ipAddress ?? "\(address)"
            peer = address.protocol == .inet6 ? "[\(host)]:\(address.port ?? 0)" : "\(host):\(address.port ?? 0)"
        }
        logger?[metadataKey: "peer"] = "\(peer)"
        if context.channel.isActive { startHandshake(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelHandshakeTimer()
        failPendingWrites(ChannelError.ioOnClosedChannel)
    }

    func channelActive(context: ChannelHandlerContext) {
        startHandshake(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard state == .handshaking || state == .active else { return }
        connection.receiveCiphertext(unwrapInboundIn(data))
        if state == .handshaking { advanceHandshake(context: context) }
        // The handshake's last flight may arrive with the first application data.
        if state == .active { readPlaintext(context: context) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if state == .handshaking {
            reportHandshakeFailure(.closedDuringHandshake)
        }
        state = .closed
        cancelHandshakeTimer()
        failPendingWrites(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch state {
        case .idle, .handshaking:
            unencrypted.append((unwrapOutboundIn(data), promise))
        case .active:
            unencrypted.append((unwrapOutboundIn(data), promise))
            encryptPlaintext(context: context)
        case .closing, .closed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    func flush(context: ChannelHandlerContext) {
        // Before the handshake there is nothing of the pipeline's to send; its end flushes.
        guard state == .active else { return }
        writeCiphertext(context: context, flush: true)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all else {
            context.close(mode: mode, promise: promise)
            return
        }
        switch state {
        case .active:
            encryptPlaintext(context: context)
            beginClosing(context: context, promise: promise)
        case .idle, .handshaking:
            state = .closed
            cancelHandshakeTimer()
            failPendingWrites(ChannelError.ioOnClosedChannel)
            context.close(mode: mode, promise: promise)
        case .closing, .closed:
            closeAfterLastWrite(context: context, promise: promise)
        }
    }

    // MARK: Handshake

    private func startHandshake(context: ChannelHandlerContext) {
        guard state == .idle else { return }
        state = .handshaking
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let timeout = handshakeTimeout
        handshakeTimer = context.eventLoop.scheduleTask(in: TimeAmount(clamping: timeout)) {
            let (handler, context) = bound.value
            handler.handshakeTimer = nil
            guard handler.state == .handshaking else { return }
            handler.fail(context: context, .handshakeTimedOut(after: timeout))
        }
        advanceHandshake(context: context)  // a client's ClientHello
    }

    private func advanceHandshake(context: ChannelHandlerContext) {
        switch connection.handshake() {
        case .ok: finishHandshake(context: context)
        case .needsInput: writeCiphertext(context: context, flush: true)
        case .closedByPeer: fail(context: context, .closedDuringHandshake)
        case .failed(let error): fail(context: context, error)
        }
    }

    private func finishHandshake(context: ChannelHandlerContext) {
        cancelHandshakeTimer()
        // The server's callbacks refuse anything else; a client checks what the server chose
        // (RFC 7301 §3.1 lets a server go on without ALPN).
        guard connection.negotiatedProtocol == TLSContext.h2 else {
            fail(context: context, .noApplicationProtocol("the server did not select ALPN h2"))
            return
        }
        state = .active
        handshakePromise?.succeed()
        logger?.debug("TLS handshake finished")
        encryptPlaintext(context: context)
        writeCiphertext(context: context, flush: true)
    }

    private func cancelHandshakeTimer() {
        handshakeTimer?.cancel()
        handshakeTimer = nil
    }

    private func reportHandshakeFailure(_ error: TLSError) {
        handshakePromise?.fail(error)
        if error == .closedDuringHandshake {
            logger?.debug("the peer left during the TLS handshake")
        } else if let logger {
            let message: Logger.Message = "refusing a TLS connection from \(peer): \(error.message)"
            let metadata = error.cause.map { ["cause": Logger.MetadataValue.string($0)] }
            if let peerLog {
                peerLog.log(.warning, message, metadata: metadata, to: logger)
            } else {
                logger.warning(message, metadata: metadata)
            }
        }
    }

    // MARK: Data

    private func readPlaintext(context: ChannelHandlerContext) {
        while state == .active {
            let capacity = max(connection.pendingPlaintextBytesMax, 4096)
            var buffer = context.channel.allocator.buffer(capacity: capacity)
            let status = connection.readPlaintext(into: &buffer)
            if buffer.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(buffer)) }
            switch status {
            case .ok: continue  // the buffer filled up: there may be more
            case .needsInput:
                // Reading may have unblocked a write or queued a post-handshake message.
                encryptPlaintext(context: context)
                if state == .active, connection.pendingCiphertextBytes > 0 {
                    writeCiphertext(context: context, flush: true)
                }
                return
            case .closedByPeer:
                beginClosing(context: context, promise: nil)
            case .failed(let error):
                fail(context: context, error)
            }
        }
    }

    private func encryptPlaintext(context: ChannelHandlerContext) {
        while state == .active, let (first, promise) = unencrypted.first {
            var buffer = first
            switch connection.writePlaintext(&buffer) {
            case .ok:
                unencrypted.removeFirst()
                if let promise { encryptedPromises.append(promise) }
                if connection.pendingCiphertextBytes >= Self.ciphertextWriteThresholdBytes {
                    writeCiphertext(context: context, flush: false)
                }
            case .needsInput:
                // Keep what is left; the next read lets OpenSSL go on.
                unencrypted[unencrypted.startIndex] = (buffer, promise)
                return
            case .closedByPeer:
                beginClosing(context: context, promise: nil)
            case .failed(let error):
                fail(context: context, error)
            }
        }
    }

    /// Writes all pending ciphertext in one buffer, with the promises of the writes it holds.
    private func writeCiphertext(context: ChannelHandlerContext, flush: Bool) {
        let promises = encryptedPromises
        encryptedPromises.removeAll(keepingCapacity: true)
        if let ciphertext = connection.readCiphertext(allocator: context.channel.allocator) {
            let promise = promises.count == 1 ? promises[0] : context.eventLoop.makePromise()
            if promises.count > 1 {
                promise.futureResult.whenComplete { result in
                    for each in promises { each.completeWith(result) }
                }
            }
            context.write(wrapOutboundOut(ciphertext), promise: promise)
            lastWrite = promise.futureResult
        } else {
            // Only empty writes: nothing of theirs is left to send, and they complete with the
            // writes before them (a caller writes nothing to learn when those have left).
            for each in promises {
                if let lastWrite { lastWrite.cascade(to: each) } else { each.succeed() }
            }
        }
        if flush { context.flush() }
    }

    // MARK: Closing and failing

    /// Sends close_notify (and whatever was written before it), then closes.
    private func beginClosing(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        state = .closing
        connection.shutdown()
        writeCiphertext(context: context, flush: true)
        failPendingWrites(ChannelError.ioOnClosedChannel)
        closeAfterLastWrite(context: context, promise: promise)
    }

    /// Ends the connection with `error`: a server logs why, the alert OpenSSL queued is sent,
    /// the pipeline hears of the error, and the channel closes.
    private func fail(context: ChannelHandlerContext, _ error: TLSError) {
        guard state != .closing, state != .closed else { return }
        if state == .handshaking {
            reportHandshakeFailure(error)
        } else {
            logger?.debug("TLS connection failed", metadata: ["error": "\(error)"])
        }
        state = .closed
        cancelHandshakeTimer()
        writeCiphertext(context: context, flush: true)
        failPendingWrites(error)
        context.fireErrorCaught(error)
        closeAfterLastWrite(context: context, promise: nil)
    }

    /// Closes once the last ciphertext (close_notify, an alert) has reached the socket, or
    /// after ``closeNotifyTimeout``, whichever comes first.
    private func closeAfterLastWrite(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        guard let lastWrite else {
            context.close(mode: .all, promise: promise)
            return
        }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let closed = NIOLoopBoundBox(false, eventLoop: context.eventLoop)
        let close: @Sendable () -> Void = {
            guard !closed.value else { return }
            closed.value = true
            bound.value.close(mode: .all, promise: promise)
        }
        let timer = context.eventLoop.scheduleTask(in: Self.closeNotifyTimeout, close)
        // Runs at once when the write has already completed.
        lastWrite.whenComplete { _ in
            timer.cancel()
            close()
        }
    }

    private func failPendingWrites(_ error: any Error) {
        while let (_, promise) = unencrypted.popFirst() { promise?.fail(error) }
        let promises = encryptedPromises
        encryptedPromises.removeAll()
        for each in promises { each.fail(error) }
    }
}
