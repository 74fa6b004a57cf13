import Logging
import RPC
import Synchronization

/// One log line per call, at level `info` under the label `cashback.access`, with message
/// `call` and these fields (sorted, like every line's metadata):
///
/// | key | value |
/// |---|---|
/// | `actor` | the caller's name (the token's name, never the token); absent when no token was admitted |
/// | `durationMilliseconds` | from the whole request received to the handler's end, e.g. `0.183` |
/// | `method` | `cashback.v1.Wallet/GetBalance`; for a path no method serves, the path (printable ASCII, cut to 128 bytes) |
/// | `peer` | the client's address, `127.0.0.1:54321` |
/// | `requestId` | the client's `x-request-id` when it is 1 to 64 printable ASCII characters without spaces, quotes or backslashes, else one made here (`PREFIX-COUNTER` in hex, unique in the process) |
/// | `status` | the gRPC status name: `OK`, `NOT_FOUND`, … |
///
/// Nothing of the request or response bodies is logged: no token, no payout account.
///
/// The line has the shape of every other line (``LogFormat``; `durationMilliseconds` is a JSON
/// number) and goes to the same ``LogSink``, but is written there without swift-log's metadata
/// dictionary, straight into the calling thread's log queue, its constant parts made once: the
/// access log runs once per call, on the event loop that ran the handler.
///
/// ```swift
/// let accessLog = AccessLog(sink: sink, format: .json)
/// let observer = CallObserver(factory: nil, accessLog: accessLog)
/// // {"ts":"…","level":"info","label":"cashback.access","msg":"call","actor":"ops",
/// //  "durationMilliseconds":0.183,"method":"cashback.v1.Wallet/GetBalance",
/// //  "peer":"127.0.0.1:54321","requestId":"4f1c09ab-1f","status":"OK"}
/// ```
public final class AccessLog: @unchecked Sendable {  // immutable; the pointers are into `constants`
    /// The logger label of access lines.
    public static let label = "cashback.access"
    /// The longest client request id kept; a longer one is replaced.
    static let requestIDBytesMax = 64
    /// The most bytes of an unknown path logged.
    static let unknownPathBytesMax = 128

    private let sink: LogSink
    private let format: LogFormat
    /// Every constant part of the lines, made once: both event loops read them on every call,
    /// so they are not arrays (see ``ConstantBytes``).
    private let constants = ConstantBytes()
    // The frame around the fields, and the keys of the fields that change from call to call.
    private let head: UnsafeBufferPointer<UInt8>
    private let tail: UnsafeBufferPointer<UInt8>
    private let actorKey: UnsafeBufferPointer<UInt8>
    private let durationKey: UnsafeBufferPointer<UInt8>
    private let peerKey: UnsafeBufferPointer<UInt8>
    private let requestIDKey: UnsafeBufferPointer<UInt8>
    /// The whole `status` field of each gRPC code, by its number: all of them end to end,
    /// the one of code `n` from `statusStarts[n]` to `statusStarts[n + 1]`.
    private let statusFields: UnsafeBufferPointer<UInt8>
    private let statusStarts: UnsafeBufferPointer<Int>
    private let requestIDs: RequestIDs
    /// What each thread that logs calls keeps of its own: its queue on the sink and its block of
    /// request ids. A call's line then touches nothing that the other event loop writes.
    private let threads = PerThread<ThreadState>()

    private final class ThreadState {
        let queue: LogSink.Queue
        var requestIDs = RequestIDs.Block()

        init(queue: LogSink.Queue) {
            self.queue = queue
        }
    }

    /// Access lines in `format`, queued on `sink`.
    public init(sink: LogSink, format: LogFormat) {
        self.sink = sink
        self.format = format
        let frame = LogLine.Frame(
            format: format, level: .info, label: Self.label, message: "call",
            source: "CashbackServer")
        head = constants.keep(frame.head)
        tail = constants.keep(frame.tail)
        actorKey = constants.keep(LogLine.key("actor", format: format))
        durationKey = constants.keep(LogLine.key("durationMilliseconds", format: format))
        peerKey = constants.keep(LogLine.key("peer", format: format))
        requestIDKey = constants.keep(LogLine.key("requestId", format: format))
        let statuses = (0...RPCStatusCode.unauthenticated.rawValue).map {
            LogLine.field("status", RPCStatusCode(rawValue: $0).name, format: format)
        }
        statusFields = constants.keep(statuses.flatMap { $0 })
        statusStarts = constants.keep(statuses.reduce(into: [0]) { $0.append($0.last! + $1.count) })
        requestIDs = RequestIDs(constants: constants)
    }

    /// The part of a method's lines that never changes: its `method` field and the key of the
    /// `peer` field that follows it, kept as long as the access log.
    struct MethodFields: @unchecked Sendable {  // into the access log's constants
        fileprivate let bytes: UnsafeBufferPointer<UInt8>
    }

    /// Makes the constant part of the lines of `method`: once per method, as a router is made
    /// (the memory is kept as long as the access log).
    func methodFields(_ method: String) -> MethodFields {
        let field = LogLine.field("method", method, format: format)
        return MethodFields(bytes: constants.keep(field + LogLine.key("peer", format: format)))
    }

    /// Logs one call that took `microseconds`: the fields in sorted order, the constant ones
    /// as made in advance. `method` is `nil` for a path no method serves: the line then names
    /// the path called (``printable(_:)``).
    func record(
        _ method: MethodFields?, context: RPCServerContext, code: RPCStatusCode,
        microseconds: Int64
    ) {
        let thread = currentThread()
        thread.queue.enqueue { buffer in
            var line = LogLine(format: format, head: head, into: buffer)
            write(
                &line, method, context: context, code: code, microseconds: microseconds,
                requestIDs: &thread.requestIDs)
            return line.finish(tail: tail)
        }
    }

    private func currentThread() -> ThreadState {
        if let thread = threads.currentValue { return thread }
        let thread = ThreadState(queue: sink.currentQueue())
        threads.currentValue = thread
        return thread
    }

    private func write(
        _ line: inout LogLine, _ method: MethodFields?, context: RPCServerContext,
        code: RPCStatusCode, microseconds: Int64, requestIDs block: inout RequestIDs.Block
    ) {
        if let caller = context.caller {
            line.append(constant: actorKey)
            line.append(value: caller.name)
        }
        line.append(constant: durationKey)
        line.append(thousandths: microseconds)
        if let method {
            line.append(constant: method.bytes)
        } else {
            line.append("method", Self.printable(context.method.fullName))
            line.append(constant: peerKey)
        }
        line.append(value: context.peer)
        line.append(constant: requestIDKey)
        if let given = context.metadata.valueBytes(lowercasedName: "x-request-id"),
            Self.isSaneRequestID(given)
        {
            line.append(plainValue: given)
        } else {
            requestIDs.appendNext(to: &line, from: &block)
        }
        let number = code.rawValue
        if number >= 0, number + 1 < statusStarts.count {
            let field = statusStarts[number]..<statusStarts[number + 1]
            line.append(constant: UnsafeBufferPointer(rebasing: statusFields[field]))
        } else {
            line.append("status", code.name)
        }
    }

    /// 1 to 64 bytes of printable ASCII without spaces, quotes or backslashes: safe as it is in
    /// either format, and short.
    static func isSaneRequestID(_ bytes: some Collection<UInt8>) -> Bool {
        guard (1...requestIDBytesMax).contains(bytes.count) else { return false }
        for byte in bytes {
            guard (0x21...0x7e).contains(byte), byte != UInt8(ascii: "\""),
                byte != UInt8(ascii: "\\")
            else { return false }
        }
        return true
    }

    /// A path as the access log shows it: printable ASCII (anything else becomes `?`), at most
    /// ``unknownPathBytesMax`` bytes; a client chooses it, so it must not forge a field or a
    /// line.
    static func printable(_ text: String) -> String {
        var bytes = Array(text.utf8.prefix(unknownPathBytesMax))
        for index in bytes.indices where !(0x21...0x7e).contains(bytes[index]) {
            bytes[index] = UInt8(ascii: "?")
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Request ids made here: a random prefix per process and a counter, in hex
/// (`4f1c09ab-1f`): unique in the process, unlikely to repeat across restarts, written straight
/// into the line. Each thread takes the counter's values in blocks of ``blockSize``: one shared
/// increment per block rather than per call, so the event loops do not take turns at the
/// counter's cache line.
private final class RequestIDs: @unchecked Sendable {  // `prefix` is in the access log's constants
    static let blockSize: UInt64 = 1024

    /// The values one thread has taken and not used yet: `next + 1` to `end`.
    struct Block {
        var next: UInt64 = 0
        var end: UInt64 = 0
    }

    private let prefix: UnsafeBufferPointer<UInt8>
    /// The end of the last block taken.
    private let counter = Atomic<UInt64>(0)

    init(constants: ConstantBytes) {
        let digits = String(UInt32.random(in: .min ... .max), radix: 16)
        prefix = constants.keep(
            Array((String(repeating: "0", count: 8 - digits.count) + digits + "-").utf8))
    }

    /// Appends the next id of `block`, taking a new block when it is used up.
    func appendNext(to line: inout LogLine, from block: inout Block) {
        if block.next == block.end {
            block.end = counter.add(Self.blockSize, ordering: .relaxed).newValue
            block.next = block.end - Self.blockSize
        }
        block.next += 1
        line.append(plainValue: prefix, hex: block.next)
    }
}

extension Duration {
    /// This duration in seconds, for histograms of latency (never for money).
    var seconds: Double { secondsAndMicroseconds.seconds }

    /// This duration in seconds (for histograms) and in whole microseconds (for the access
    /// log), from one `components`: that divides 128 bits, and a call's end needs both.
    var secondsAndMicroseconds: (seconds: Double, microseconds: Int64) {
        let (seconds, attoseconds) = components
        return (
            Double(seconds) + Double(attoseconds) / 1e18,
            seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        )
    }

    /// The whole nanoseconds in this duration.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
