import CNGHTTP2
import NIOCore
import RPC

/// What a session reports to the connection handler that owns it. Every call happens on the
/// channel's event loop, from inside `nghttp2_session_mem_recv` or `mem_send`.
protocol NGHTTP2SessionDelegate: AnyObject {
    /// A HEADERS frame opened a block on `streamID` (a request, a response or trailers).
    func sessionDidBeginHeaders(streamID: Int32)
    /// One header field of the block in progress. Returning `false` resets the stream.
    func sessionDidReceiveHeader(
        streamID: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>
    ) -> Bool
    /// A header block ended; `endStream` when the peer will send nothing more.
    func sessionDidReceiveHeaders(streamID: Int32, endStream: Bool)
    /// A chunk of a DATA frame's payload.
    func sessionDidReceiveData(streamID: Int32, bytes: UnsafeRawBufferPointer)
    /// A DATA frame carried END_STREAM.
    func sessionDidReceiveEndOfData(streamID: Int32)
    /// The peer sent a frame that carries no request: SETTINGS, an empty DATA frame, or an
    /// invalid frame. (PING and RST_STREAM have callbacks of their own.)
    func sessionDidNoticeGlitch()
    /// The peer reset `streamID` (the stream is still in the table while this runs).
    func sessionDidReceiveReset(streamID: Int32)
    /// The peer sent a PING (`isAck == false`; nghttp2 answers it) or acknowledged ours;
    /// `payload` is its 8 opaque bytes.
    func sessionDidReceivePing(isAck: Bool, payload: UInt64)
    /// The peer sent GOAWAY: streams above `lastStreamID` were not, and will not be, processed.
    func sessionDidReceiveGoaway(lastStreamID: Int32)
    /// The peer sent SETTINGS (not an ACK), and the session now applies them.
    func sessionDidReceiveSettings()
    /// A HEADERS or DATA frame of this side has been handed to the socket.
    func sessionDidSendHeadersOrData()
    /// A frame carrying END_STREAM (this side's last) has been handed to the socket.
    func sessionDidSendEndOfStream(streamID: Int32)
    /// The stream is closed; `errorCode` is NO_ERROR unless it was reset.
    func sessionDidCloseStream(streamID: Int32, errorCode: UInt32)
    /// How many bytes (at most `maxCount`) the next DATA frame of an outgoing stream carries,
    /// and whether the body ends with them. Nothing is copied yet: nghttp2 asks for the bytes
    /// themselves with ``sessionWriteBody(streamID:count:into:)`` when the frame leaves
    /// (`NGHTTP2_DATA_FLAG_NO_COPY`).
    func sessionNextBodyChunk(streamID: Int32, maxCount: Int) -> NGHTTP2BodyChunk
    /// Appends the `count` body bytes announced by the last chunk to `output`, the bytes
    /// leaving for the socket, and takes them off the body.
    func sessionWriteBody(streamID: Int32, count: Int, into output: inout ByteBuffer)
}

extension NGHTTP2SessionDelegate {
    /// A server has no use for the client's SETTINGS beyond what nghttp2 applies.
    func sessionDidReceiveSettings() {}
}

/// The answer to a body read: bytes the next DATA frame carries, and whether the body ended
/// (with trailers to send after it, for a server's response); or, with `isDeferred`, nothing
/// yet: the body's source resumes the stream once it has more
/// (``NGHTTP2Session/resumeData(streamID:)``).
struct NGHTTP2BodyChunk {
    var byteCount: Int
    var isLast: Bool
    var trailers: HeaderFields?
    var isDeferred = false

    /// Nothing to send yet.
    static let deferred = NGHTTP2BodyChunk(byteCount: 0, isLast: false, isDeferred: true)
}

/// Owns one `nghttp2_session` (1.52). Not `Sendable`: it lives on its channel's event loop, and
/// every method asserts so through its owner.
final class NGHTTP2Session {
    enum Role { case server, client }

    /// Why a call into nghttp2 failed; the connection cannot go on.
    struct Failure: Error, CustomStringConvertible {
        let call: String
        let code: Int
        var description: String {
            "\(call) failed: \(String(cString: nghttp2_strerror(Int32(truncatingIfNeeded: code))))"
        }
    }

    private var session: OpaquePointer!
    /// The connection handler that owns this session, unretained: only its delegate holds the
    /// session (a property only the delegate sets), and nghttp2 calls back only from inside
    /// the delegate's own calls into it, so the delegate is alive whenever it is used.
    ///
    /// Not `weak`: a weak reference gives the handler a side table, which sends every retain
    /// and release of it down the runtime's slow path, and made each callback an atomic load
    /// (~5 % of GetBalance).
    private unowned(unsafe) let delegate: any NGHTTP2SessionDelegate

    /// Creates a session with every option it depends on set explicitly (STYLE §3).
    init(role: Role, limits: RPCLimits, delegate: any NGHTTP2SessionDelegate) throws {
        self.delegate = delegate
        var callbacks: OpaquePointer?
        precondition(nghttp2_session_callbacks_new(&callbacks) == 0, "out of memory")
        defer { nghttp2_session_callbacks_del(callbacks) }
        Self.install(on: callbacks)

        var option: OpaquePointer?
        precondition(nghttp2_option_new(&option) == 0, "out of memory")
        defer { nghttp2_option_del(option) }
        // Debian's 1.52 carries the CVE backports; set their bounds rather than trust defaults.
        nghttp2_option_set_max_settings(option, 32)
        nghttp2_option_set_max_outbound_ack(option, 1000)
        nghttp2_option_set_max_continuations(option, 8)
        // nghttp2 counts every RST_STREAM(CANCEL) the peer sends, a client cancelling calls
        // it had sent in full included (Rapid Reset's CVE-2023-44487 fix). The connection
        // handler's own budget tells those apart from resets of requests never finished, and
        // each started call holds a handler slot until its handler returns; so nghttp2's bound
        // here is only a backstop, far above 100 cancellations a second.
        nghttp2_option_set_stream_reset_rate_limit(option, 10_000, 10_000)
        nghttp2_option_set_max_deflate_dynamic_table_size(option, 4096)
        nghttp2_option_set_max_send_header_block_length(option, 64 << 10)
        nghttp2_option_set_no_closed_streams(option, 1)
        if role == .client {
            nghttp2_option_set_peer_max_concurrent_streams(option, 100)
            // The client gives window back itself (``consume(streamID:bytes:)``): a streaming
            // response's stream window only as its consumer takes messages.
            nghttp2_option_set_no_auto_window_update(option, 1)
        }

        let userData = Unmanaged.passUnretained(self).toOpaque()
        var created: OpaquePointer?
        let rv: Int32 =
            switch role {
            case .server: nghttp2_session_server_new2(&created, callbacks, userData, option)
            case .client: nghttp2_session_client_new2(&created, callbacks, userData, option)
            }
        // Returns 0 or NGHTTP2_ERR_NOMEM.
        guard rv == 0, let created else { throw Failure(call: "nghttp2_session_new", code: Int(rv)) }
        session = created
        try submitSettings(limits)
    }

    deinit { nghttp2_session_del(session) }

    private func submitSettings(_ limits: RPCLimits) throws {
        let entries: [(nghttp2_settings_id, UInt32)] = [
            (NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, UInt32(limits.concurrentStreamsMax)),
            (NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, UInt32(limits.streamWindowBytes)),
            (NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, UInt32(limits.headerListBytesMax)),
            (NGHTTP2_SETTINGS_ENABLE_PUSH, 0),
            (NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1),
        ]
        var settings = entries.map {
            nghttp2_settings_entry(settings_id: Int32($0.0.rawValue), value: $0.1)
        }
        // Returns 0, NGHTTP2_ERR_INVALID_ARGUMENT (a bad value: a bug) or NGHTTP2_ERR_NOMEM.
        let rv = nghttp2_submit_settings(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        precondition(rv != NGHTTP2_ERR_INVALID_ARGUMENT.rawValue, "invalid SETTINGS")
        guard rv == 0 else { throw Failure(call: "nghttp2_submit_settings", code: Int(rv)) }
        // A connection window as large as the streams', so one stream can use its whole window.
        let windowRV = nghttp2_session_set_local_window_size(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(limits.streamWindowBytes))
        guard windowRV == 0 else {
            throw Failure(call: "nghttp2_session_set_local_window_size", code: Int(windowRV))
        }
    }

    // MARK: I/O

    /// Feeds received bytes to the session; callbacks run before it returns.
    func receive(_ buffer: ByteBuffer) throws {
        let rv = buffer.withUnsafeReadableBytes { bytes in
            nghttp2_session_mem_recv(
                session, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        }
        // Returns the bytes consumed, or NGHTTP2_ERR_CALLBACK_FAILURE, NGHTTP2_ERR_BAD_CLIENT_MAGIC,
        // NGHTTP2_ERR_FLOODED or NGHTTP2_ERR_NOMEM: each ends the connection.
        guard rv >= 0 else { throw Failure(call: "nghttp2_session_mem_recv", code: rv) }
    }

    /// Collects every byte the session wants to send, up to `limit`, into one buffer: the
    /// frames nghttp2 serializes, and the DATA frames it leaves to us
    /// (``sendData(frameHeader:streamID:count:)``), each in its turn.
    private func pendingOutput(allocator: ByteBufferAllocator, limit: Int) throws -> ByteBuffer? {
        self.allocator = allocator
        defer { output = nil }
        while (output?.readableBytes ?? 0) < limit {
            var pointer: UnsafePointer<UInt8>?
            // A DATA frame sent through the callback may be followed by a return of 0: ask
            // again until nothing at all came out.
            let before = output?.readableBytes ?? 0
            let count = nghttp2_session_mem_send(session, &pointer)
            // Returns the byte count (0: nothing to send), NGHTTP2_ERR_NOMEM or
            // NGHTTP2_ERR_CALLBACK_FAILURE.
            guard count >= 0 else { throw Failure(call: "nghttp2_session_mem_send", code: count) }
            if count > 0, let pointer {
                appendOutput(UnsafeRawBufferPointer(start: pointer, count: count))
            } else if (output?.readableBytes ?? 0) == before {
                break
            }
        }
        return output
    }

    /// The bytes collected by the flush in progress.
    private var output: ByteBuffer?
    private var allocator = ByteBufferAllocator()

    private func appendOutput(_ bytes: UnsafeRawBufferPointer) {
        if output == nil { output = allocator.buffer(capacity: max(bytes.count, 16 << 10)) }
        output!.writeBytes(bytes)
    }

    /// nghttp2's `send_data_callback`: one DATA frame whose payload we write ourselves, from
    /// the body's own storage straight into the outgoing buffer.
    fileprivate func sendData(frameHeader: UnsafeRawBufferPointer, streamID: Int32, count: Int) {
        appendOutput(frameHeader)
        delegate.sessionWriteBody(streamID: streamID, count: count, into: &output!)
    }

    /// Writes every byte the session wants to send to `context`, in chunks of up to 64 KiB,
    /// then flushes. Never call it from inside an nghttp2 callback.
    ///
    /// The writes carry no promise (one fewer allocation each, on every read that answers a
    /// call): a caller that must know when they have left writes after them and waits for that.
    ///
    /// - Throws: when nghttp2 fails; the connection must be closed.
    func flush(to context: ChannelHandlerContext) throws {
        context.eventLoop.assertInEventLoop()
        var wrote = false
        // Only as much as the channel takes: what stays queued in nghttp2 counts against its
        // flood limits (`max_outbound_ack`), and writability coming back flushes the rest.
        while context.channel.isWritable,
            let output = try pendingOutput(allocator: context.channel.allocator, limit: 64 << 10)
        {
            context.write(NIOAny(output), promise: nil)
            wrote = true
        }
        if wrote { context.flush() }
    }

    /// Whether the session is finished: it wants neither to read nor to write.
    var isFinished: Bool {
        nghttp2_session_want_read(session) == 0 && !wantsToWrite
    }

    /// Whether the session has frames to send that ``flush(to:)`` has not handed over yet.
    var wantsToWrite: Bool {
        nghttp2_session_want_write(session) != 0
    }

    // MARK: Submissions

    /// Submits response headers; with `hasBody`, the body is pulled through the delegate.
    func submitResponse(streamID: Int32, headers: HeaderFields, hasBody: Bool) {
        let rv = withNameValues(headers) { nva, count in
            guard hasBody else { return nghttp2_submit_response(session, streamID, nva, count, nil) }
            var provider = Self.bodyProvider()
            return nghttp2_submit_response(session, streamID, nva, count, &provider)
        }
        // Returns 0, NGHTTP2_ERR_NOMEM, NGHTTP2_ERR_INVALID_ARGUMENT (stream id 0: a bug) or
        // NGHTTP2_ERR_PROTO (the stream cannot take a response any more: reset it).
        precondition(rv != NGHTTP2_ERR_INVALID_ARGUMENT.rawValue, "response on stream 0")
        if rv != 0 { submitReset(streamID: streamID, errorCode: NGHTTP2_INTERNAL_ERROR.rawValue) }
    }

    /// Submits a request whose body is pulled through the delegate; returns its stream id.
    func submitRequest(headers: [(String, String)]) throws -> Int32 {
        let streamID = withNameValues(.built(headers)) { nva, count in
            var provider = Self.bodyProvider()
            return nghttp2_submit_request(session, nil, nva, count, &provider, nil)
        }
        // Returns the new stream id, NGHTTP2_ERR_NOMEM, NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE (ids
        // exhausted: the connection must be replaced) or NGHTTP2_ERR_PROTO.
        guard streamID > 0 else { throw Failure(call: "nghttp2_submit_request", code: Int(streamID)) }
        return streamID
    }

    // MARK: Flow control (with no_auto_window_update: the client)

    /// Gives back `bytes` of received DATA to both the connection's and the stream's window.
    func consume(streamID: Int32, bytes: Int) {
        // Returns 0, NGHTTP2_ERR_INVALID_ARGUMENT (stream 0: a bug), NGHTTP2_ERR_INVALID_STATE
        // (automatic window updates are on: a bug) or NGHTTP2_ERR_NOMEM. A stream already
        // closed is not an error: its connection share is still given back.
        let rv = nghttp2_session_consume(session, streamID, bytes)
        precondition(rv != NGHTTP2_ERR_INVALID_ARGUMENT.rawValue, "consume on stream 0")
        precondition(rv != NGHTTP2_ERR_INVALID_STATE.rawValue, "automatic window updates")
    }

    /// Gives back `bytes` of received DATA to the connection's window only.
    func consumeConnection(bytes: Int) {
        // Returns 0, NGHTTP2_ERR_INVALID_STATE (automatic window updates: a bug) or
        // NGHTTP2_ERR_NOMEM.
        let rv = nghttp2_session_consume_connection(session, bytes)
        precondition(rv != NGHTTP2_ERR_INVALID_STATE.rawValue, "automatic window updates")
    }

    /// Gives back `bytes` of received DATA to one stream's window only.
    func consumeStream(streamID: Int32, bytes: Int) {
        // Returns 0, NGHTTP2_ERR_INVALID_ARGUMENT (stream 0: a bug), NGHTTP2_ERR_INVALID_STATE
        // (automatic window updates: a bug) or NGHTTP2_ERR_NOMEM; a closed stream is ignored.
        let rv = nghttp2_session_consume_stream(session, streamID, bytes)
        precondition(rv != NGHTTP2_ERR_INVALID_ARGUMENT.rawValue, "consume on stream 0")
        precondition(rv != NGHTTP2_ERR_INVALID_STATE.rawValue, "automatic window updates")
    }

    /// Tells nghttp2 that a deferred body has bytes again.
    func resumeData(streamID: Int32) {
        // Returns 0, NGHTTP2_ERR_INVALID_ARGUMENT (the stream is gone or has no deferred data:
        // nothing to resume) or NGHTTP2_ERR_NOMEM (the stream then stalls and its timer resets
        // it).
        _ = nghttp2_session_resume_data(session, streamID)
    }

    /// Resets a stream.
    func submitReset(streamID: Int32, errorCode: UInt32) {
        // Returns 0, NGHTTP2_ERR_NOMEM or NGHTTP2_ERR_INVALID_ARGUMENT (stream 0: a bug).
        let rv = nghttp2_submit_rst_stream(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
        precondition(rv != NGHTTP2_ERR_INVALID_ARGUMENT.rawValue, "reset of stream 0")
    }

    /// GOAWAY naming the last stream this side processed, with `debugData` for the peer's
    /// logs (gRPC's `too_many_pings`, say).
    func submitGoaway(errorCode: UInt32 = NGHTTP2_NO_ERROR.rawValue, debugData: String = "") {
        let lastStreamID = nghttp2_session_get_last_proc_stream_id(session)
        goawayLastStreamID = min(goawayLastStreamID ?? lastStreamID, lastStreamID)
        var bytes = Array(debugData.utf8)
        // Returns 0, NGHTTP2_ERR_NOMEM or NGHTTP2_ERR_INVALID_ARGUMENT (a bad last id: a bug).
        let rv = nghttp2_submit_goaway(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), lastStreamID, errorCode, &bytes,
            bytes.count)
        precondition(rv != NGHTTP2_ERR_INVALID_ARGUMENT.rawValue, "bad GOAWAY")
    }

    /// The last stream id of the GOAWAY submitted (the lowest, if several); `nil` before one.
    /// nghttp2 takes new streams until that GOAWAY has left, and then closes those past it,
    /// which the peer takes as never processed: they must not be served meanwhile.
    private(set) var goawayLastStreamID: Int32?

    /// The peer's SETTINGS_MAX_HEADER_LIST_SIZE: unlimited until its SETTINGS arrive.
    var remoteMaxHeaderListSize: Int {
        Int(nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE))
    }

    /// Sends a PING carrying `payload` (in network order); the peer's ACK carries it back.
    func submitPing(payload: UInt64) {
        withUnsafeBytes(of: payload.bigEndian) { bytes in
            // Returns 0 or NGHTTP2_ERR_NOMEM; a PING that cannot be queued is like a lost one.
            _ = nghttp2_submit_ping(
                session, UInt8(NGHTTP2_FLAG_NONE.rawValue),
                bytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// The first half of a graceful shutdown: GOAWAY with the largest stream id, telling the
    /// peer to open no more streams while those already on their way are still served.
    func submitShutdownNotice() {
        // Returns 0, NGHTTP2_ERR_NOMEM or NGHTTP2_ERR_INVALID_STATE (a client session: a bug).
        let rv = nghttp2_submit_shutdown_notice(session)
        precondition(rv != NGHTTP2_ERR_INVALID_STATE.rawValue, "shutdown notice from a client")
    }

    /// Ends the connection now: GOAWAY with `errorCode`, then nothing more is read.
    func terminate(errorCode: UInt32) {
        // Returns 0 or NGHTTP2_ERR_NOMEM; either way the connection is being closed.
        _ = nghttp2_session_terminate_session(session, errorCode)
    }

    /// Submits trailers; called from inside a body read that returned the last chunk.
    fileprivate func submitTrailers(streamID: Int32, _ trailers: HeaderFields) -> Int32 {
        withNameValues(trailers) { nva, count in
            nghttp2_submit_trailer(session, streamID, nva, count)
        }
    }

    /// Calls `body` with the headers as an `nghttp2_nv` array. A prebuilt block is handed
    /// over as it is (nghttp2 keeps pointers to its bytes, which live as long as the
    /// process); for built fields nghttp2 copies names and values during the submit call, so
    /// their storage only has to outlive `body`.
    private func withNameValues<R>(
        _ fields: HeaderFields, _ body: (UnsafePointer<nghttp2_nv>, Int) -> R
    ) -> R {
        let headers: [(String, String)]
        switch fields {
        case .prebuilt(let block): return body(UnsafePointer(block.nameValues), block.count)
        case .built(let fields): headers = fields
        }
        var storage: [UInt8] = []
        var ranges: [(Int, Int, Int, Int)] = []
        for (name, value) in headers {
            let nameStart = storage.count
            storage.append(contentsOf: name.utf8)
            let valueStart = storage.count
            storage.append(contentsOf: value.utf8)
            ranges.append((nameStart, valueStart - nameStart, valueStart, storage.count - valueStart))
        }
        storage.append(0)  // never empty, so the base address exists
        return storage.withUnsafeMutableBufferPointer { bytes in
            let base = bytes.baseAddress!
            let nva = ranges.map { range in
                nghttp2_nv(
                    name: base + range.0, value: base + range.2, namelen: range.1,
                    valuelen: range.3, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            return nva.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
        }
    }
}


// MARK: - C callbacks

extension NGHTTP2Session {
    private static func owner(_ userData: UnsafeMutableRawPointer?) -> NGHTTP2Session {
        Unmanaged<NGHTTP2Session>.fromOpaque(userData!).takeUnretainedValue()
    }

    private static func isFrame(_ frame: UnsafePointer<nghttp2_frame>, _ type: nghttp2_frame_type)
        -> Bool
    {
        UInt32(frame.pointee.hd.type) == type.rawValue
    }

    /// Frames that cost work but carry no request (acks are our own frames' answers). PING
    /// and RST_STREAM are judged by the delegate, which knows the calls.
    private static func isGlitch(_ frame: UnsafePointer<nghttp2_frame>) -> Bool {
        if isFrame(frame, NGHTTP2_SETTINGS) { return !isAck(frame) }
        if isFrame(frame, NGHTTP2_DATA) { return frame.pointee.hd.length == 0 && !hasEndStream(frame) }
        return false
    }

    private static func isAck(_ frame: UnsafePointer<nghttp2_frame>) -> Bool {
        frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0
    }

    private static func hasEndStream(_ frame: UnsafePointer<nghttp2_frame>) -> Bool {
        frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
    }

    fileprivate static func install(on callbacks: OpaquePointer?) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, userData in
            guard let frame, NGHTTP2Session.isFrame(frame, NGHTTP2_HEADERS) else { return 0 }
            NGHTTP2Session.owner(userData).delegate.sessionDidBeginHeaders(streamID: frame.pointee.hd.stream_id)
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            session, frame, name, nameLength, value, valueLength, _, userData in
            guard let frame else { return 0 }
            let delegate = NGHTTP2Session.owner(userData).delegate
            let streamID = frame.pointee.hd.stream_id
            let accepted = delegate.sessionDidReceiveHeader(
                streamID: streamID,
                name: UnsafeBufferPointer(start: name, count: nameLength),
                value: UnsafeBufferPointer(start: value, count: valueLength))
            guard !accepted else { return 0 }
            // nghttp2's documented way to refuse one header block: reset with our own code,
            // then ask it to skip the rest of the block.
            // ENHANCE_YOUR_CALM, which gRPC clients report as RESOURCE_EXHAUSTED: the request
            // was refused for its size, and retrying it unchanged would fail again.
            nghttp2_submit_rst_stream(
                session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID,
                NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            guard let frame else { return 0 }
            let delegate = NGHTTP2Session.owner(userData).delegate
            let streamID = frame.pointee.hd.stream_id
            if NGHTTP2Session.isGlitch(frame) { delegate.sessionDidNoticeGlitch() }
            if NGHTTP2Session.isFrame(frame, NGHTTP2_PING) {
                let payload = withUnsafeBytes(of: frame.pointee.ping.opaque_data) {
                    UInt64(bigEndian: $0.loadUnaligned(as: UInt64.self))
                }
                delegate.sessionDidReceivePing(isAck: NGHTTP2Session.isAck(frame), payload: payload)
            } else if NGHTTP2Session.isFrame(frame, NGHTTP2_RST_STREAM) {
                delegate.sessionDidReceiveReset(streamID: streamID)
            } else if NGHTTP2Session.isFrame(frame, NGHTTP2_GOAWAY) {
                delegate.sessionDidReceiveGoaway(lastStreamID: frame.pointee.goaway.last_stream_id)
            } else if NGHTTP2Session.isFrame(frame, NGHTTP2_SETTINGS),
                !NGHTTP2Session.isAck(frame)
            {
                delegate.sessionDidReceiveSettings()
            } else if NGHTTP2Session.isFrame(frame, NGHTTP2_HEADERS) {
                delegate.sessionDidReceiveHeaders(streamID: streamID, endStream: NGHTTP2Session.hasEndStream(frame))
            } else if NGHTTP2Session.isFrame(frame, NGHTTP2_DATA), NGHTTP2Session.hasEndStream(frame) {
                delegate.sessionDidReceiveEndOfData(streamID: streamID)
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(callbacks) {
            _, _, _, userData in
            NGHTTP2Session.owner(userData).delegate.sessionDidNoticeGlitch()
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks) { _, frame, userData in
            guard let frame else { return 0 }
            let delegate = NGHTTP2Session.owner(userData).delegate
            if NGHTTP2Session.isFrame(frame, NGHTTP2_DATA)
                || NGHTTP2Session.isFrame(frame, NGHTTP2_HEADERS)
            {
                delegate.sessionDidSendHeadersOrData()
            }
            if NGHTTP2Session.hasEndStream(frame) {
                delegate.sessionDidSendEndOfStream(streamID: frame.pointee.hd.stream_id)
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) {
            _, _, streamID, data, length, userData in
            NGHTTP2Session.owner(userData).delegate.sessionDidReceiveData(
                streamID: streamID, bytes: UnsafeRawBufferPointer(start: data, count: length))
            return 0
        }
        nghttp2_session_callbacks_set_send_data_callback(callbacks) {
            _, frame, frameHeader, length, _, userData in
            guard let frame, let frameHeader else { return NGHTTP2_ERR_CALLBACK_FAILURE.rawValue }
            // nghttp2 asks for padding only when told to pad, which we never do.
            assert(frame.pointee.data.padlen == 0, "padded DATA frame")
            NGHTTP2Session.owner(userData).sendData(
                frameHeader: UnsafeRawBufferPointer(start: frameHeader, count: 9),
                streamID: frame.pointee.hd.stream_id, count: length)
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) {
            _, streamID, errorCode, userData in
            NGHTTP2Session.owner(userData).delegate.sessionDidCloseStream(streamID: streamID, errorCode: errorCode)
            return 0
        }
    }

    /// A data provider that pulls body bytes from the delegate.
    fileprivate static func bodyProvider() -> nghttp2_data_provider {
        var provider = nghttp2_data_provider()
        provider.source.ptr = nil
        provider.read_callback = { _, streamID, _, length, dataFlags, _, userData in
            let session = NGHTTP2Session.owner(userData)
            guard let dataFlags else {
                return Int(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue)
            }
            let chunk = session.delegate.sessionNextBodyChunk(streamID: streamID, maxCount: length)
            if chunk.isDeferred { return Int(NGHTTP2_ERR_DEFERRED.rawValue) }
            // The bytes are written by the send_data callback when the frame leaves.
            dataFlags.pointee |= NGHTTP2_DATA_FLAG_NO_COPY.rawValue
            if chunk.isLast {
                dataFlags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
                if let trailers = chunk.trailers {
                    dataFlags.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
                    // Returns 0, NGHTTP2_ERR_NOMEM or NGHTTP2_ERR_INVALID_ARGUMENT; on failure the
                    // stream cannot end properly, so fail it.
                    guard session.submitTrailers(streamID: streamID, trailers) == 0 else {
                        return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
                    }
                }
            }
            return chunk.byteCount
        }
        return provider
    }
}
