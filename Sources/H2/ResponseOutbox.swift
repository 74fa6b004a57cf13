import NIOCore
import RPC

/// The response side of one server-streaming call: the framed messages its handler wrote and
/// nghttp2 has not yet pulled, then the trailers.
///
/// Used only on the connection's event loop. nghttp2 pulls bytes through the stream's data
/// provider as flow control allows, straight into the outgoing buffer; while nothing is queued the provider is deferred
/// (`NGHTTP2_ERR_DEFERRED`) and resumed by the next write. A handler's write waits while more
/// than ``queuedBytesMax`` bytes are queued, so a client that reads slowly slows its handler
/// down instead of growing this queue.
final class ResponseOutbox {
    /// Queued bytes above which a write waits: one message may go past it, no second one.
    static let queuedBytesMax = 64 << 10

    /// Framed messages not yet pulled in full; the first one may be partly pulled.
    private var messages = CircularBuffer<[UInt8]>()
    /// Bytes of the first message already pulled.
    private var pulledOfFirst = 0
    /// Bytes queued and not yet pulled.
    private(set) var queuedBytes = 0
    /// Whether the response HEADERS were submitted (with this outbox as the body's source).
    var headersSent = false
    /// Whether the data provider returned NGHTTP2_ERR_DEFERRED and waits for a resume.
    var isDeferred = false
    /// The trailers to send once the queue is empty; set when the call ends.
    var trailers: HeaderFields?
    /// Why the call takes no more writes, once it has ended.
    var ended: RPCError?
    /// Writes waiting for the queue to shrink.
    var waitingWrites: [EventLoopPromise<Void>] = []
    /// When bytes last left (or started waiting): the stall timer measures from here.
    var lastProgressAt = NIODeadline.now()

    var isEmpty: Bool { messages.isEmpty }

    /// Since when bytes (or the trailers) have waited to leave; `nil` while nothing waits, the
    /// handler being between messages: then nothing can stall.
    var waitingSince: NIODeadline? {
        isEmpty && trailers == nil ? nil : lastProgressAt
    }

    /// Whether the writes may go on: the queue is at or below ``queuedBytesMax``.
    var hasRoom: Bool { queuedBytes <= Self.queuedBytesMax }

    /// Queues one framed message at `now`.
    func enqueue(_ framed: [UInt8], at now: NIODeadline) {
        precondition(!framed.isEmpty, "a framed message has its 5-byte prefix")
        if messages.isEmpty { lastProgressAt = now }
        messages.append(framed)
        queuedBytes += framed.count
    }

    /// Appends the next `count` queued bytes to `output`, across messages, and takes them off
    /// the queue at `now`.
    func pull(_ count: Int, into output: inout ByteBuffer, at now: NIODeadline) {
        precondition(count <= queuedBytes, "more bytes pulled than are queued")
        var left = count
        while left > 0, let first = messages.first {
            let part = min(left, first.count - pulledOfFirst)
            output.writeBytes(first[pulledOfFirst..<pulledOfFirst + part])
            left -= part
            pulledOfFirst += part
            if pulledOfFirst == first.count {
                messages.removeFirst()
                pulledOfFirst = 0
            }
        }
        queuedBytes -= count
        assert(queuedBytes >= 0, "outbox accounting went negative")
        if count > 0 { lastProgressAt = now }
    }

    /// Drops the messages not started yet; a message partly sent stays, so that the peer's
    /// deframer sees whole messages before the trailers.
    func dropUnstarted() {
        let keep = pulledOfFirst > 0 ? messages.first : nil
        messages.removeAll()
        queuedBytes = 0
        if let keep {
            messages.append(keep)
            queuedBytes = keep.count - pulledOfFirst
        }
    }

    /// Completes the waiting writes: with success while the call goes on, else with `error`.
    func releaseWrites(failing error: RPCError? = nil) {
        let waiting = waitingWrites
        waitingWrites = []
        for promise in waiting {
            if let error { promise.fail(error) } else { promise.succeed() }
        }
    }
}
