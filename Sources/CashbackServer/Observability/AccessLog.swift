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
/// | `requestId` | the client's `x-request-id` when it is 1 to 64 printable ASCII characters without spaces, else one made here (`PREFIX-COUNTER` in hex, unique in the process) |
/// | `status` | the gRPC status name: `OK`, `NOT_FOUND`, … |
///
/// Nothing of the request or response bodies is logged: no token, no payout account.
///
/// The line is built as bytes in the sink's format (``LogFormat``) and queued on the
/// ``LogSink`` that every other line goes through, exactly as ``NonBlockingLogHandler`` would
/// write the same fields, but without swift-log's metadata dictionary: the access log runs once
/// per call, on the event loop that ran the handler.
///
/// ```swift
/// let accessLog = AccessLog(sink: sink, format: .json)
/// let observer = CallObserver(factory: nil, accessLog: accessLog)
/// // {"ts":"…","level":"info","label":"cashback.access","msg":"call","actor":"ops",
/// //  "durationMilliseconds":0.183,"method":"cashback.v1.Wallet/GetBalance",
/// //  "peer":"127.0.0.1:54321","requestId":"4f1c09ab-1f","status":"OK"}
/// ```
public final class AccessLog: Sendable {
    /// The logger label of access lines.
    public static let label = "cashback.access"
    /// The longest client request id kept; a longer one is replaced.
    static let requestIDBytesMax = 64
    /// The most bytes of an unknown path logged.
    static let unknownPathBytesMax = 128

    private let sink: LogSink
    private let format: LogFormat
    private let requestIDs = RequestIDs()

    /// Access lines in `format`, queued on `sink`.
    public init(sink: LogSink, format: LogFormat) {
        self.sink = sink
        self.format = format
    }

    /// Logs one call.
    ///
    /// - Parameter method: how the line names the method (made once per method).
    func record(
        method: String, context: RPCServerContext, code: RPCStatusCode, duration: Duration
    ) {
        var line = LogLine(format: format, level: .info, label: Self.label, message: "call")
        if let caller = context.caller { line.append("actor", caller.name) }
        line.append("durationMilliseconds", thousandths: duration.microseconds)
        line.append("method", method)
        line.append("peer", context.peer)
        line.append("requestId", requestID(context.metadata))
        line.append("status", code.name)
        sink.enqueue(line.finish(source: "CashbackServer"))
    }

    /// The client's request id if it is sane, else a new one.
    func requestID(_ metadata: Metadata) -> String {
        if let given = metadata["x-request-id"], Self.isSaneRequestID(given) { return given }
        return requestIDs.next()
    }

    /// 1 to 64 bytes of printable ASCII without spaces: safe in either format, and short.
    static func isSaneRequestID(_ text: String) -> Bool {
        let bytes = text.utf8
        return (1...requestIDBytesMax).contains(bytes.count)
            && bytes.allSatisfy { (0x21...0x7e).contains($0) }
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
/// (`4f1c09ab-1f`): unique in the process, unlikely to repeat across restarts, one atomic
/// increment each.
private final class RequestIDs: Sendable {
    private let prefix: String = {
        let digits = String(UInt32.random(in: .min ... .max), radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits + "-"
    }()
    private let counter = Atomic<UInt64>(0)

    func next() -> String {
        let number = counter.add(1, ordering: .relaxed).newValue
        return prefix + String(number, radix: 16)
    }
}

extension Duration {
    /// The whole microseconds in this duration.
    var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }

    /// The whole nanoseconds in this duration.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
