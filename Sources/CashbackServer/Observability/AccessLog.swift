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
public final class AccessLog: Sendable {
    /// The logger label of access lines.
    public static let label = "cashback.access"
    /// The longest client request id kept; a longer one is replaced.
    static let requestIDBytesMax = 64
    /// The most bytes of an unknown path logged.
    static let unknownPathBytesMax = 128

    private let sink: LogSink
    private let format: LogFormat
    private let frame: LogLine.Frame
    // The keys of the fields that change from call to call, made once.
    private let actorKey: [UInt8]
    private let durationKey: [UInt8]
    private let requestIDKey: [UInt8]
    /// The whole `status` field of each gRPC code, by its number.
    private let statusFields: [[UInt8]]
    private let requestIDs = RequestIDs()

    /// Access lines in `format`, queued on `sink`.
    public init(sink: LogSink, format: LogFormat) {
        self.sink = sink
        self.format = format
        frame = LogLine.Frame(
            format: format, level: .info, label: Self.label, message: "call",
            source: "CashbackServer")
        actorKey = LogLine.key("actor", format: format)
        durationKey = LogLine.key("durationMilliseconds", format: format)
        requestIDKey = LogLine.key("requestId", format: format)
        statusFields = (0...RPCStatusCode.unauthenticated.rawValue).map {
            LogLine.field("status", RPCStatusCode(rawValue: $0).name, format: format)
        }
    }

    /// The part of a method's lines that never changes: its `method` field, and the key of
    /// the `peer` field that follows it.
    struct MethodFields: Sendable {
        fileprivate let bytes: [UInt8]
    }

    /// Makes the constant part of the lines of `method` (made once per method).
    func methodFields(_ method: String) -> MethodFields {
        MethodFields(
            bytes: LogLine.field("method", method, format: format)
                + LogLine.key("peer", format: format))
    }

    /// Logs one call that took `microseconds`: the fields in sorted order, the constant ones
    /// as made in advance.
    func record(
        _ method: MethodFields, context: RPCServerContext, code: RPCStatusCode,
        microseconds: Int64
    ) {
        sink.enqueue { buffer in
            var line = LogLine(frame, into: buffer)
            write(&line, method, context: context, code: code, microseconds: microseconds)
            return line.finish(frame)
        }
    }

    private func write(
        _ line: inout LogLine, _ method: MethodFields, context: RPCServerContext,
        code: RPCStatusCode, microseconds: Int64
    ) {
        if let caller = context.caller {
            line.append(prebuilt: actorKey)
            line.append(value: caller.name)
        }
        line.append(prebuilt: durationKey)
        line.append(thousandths: microseconds)
        line.append(prebuilt: method.bytes)
        line.append(value: context.peer)
        line.append(prebuilt: requestIDKey)
        if let given = context.metadata.valueBytes(lowercasedName: "x-request-id"),
            Self.isSaneRequestID(given)
        {
            line.append(plainValue: given)
        } else {
            requestIDs.appendNext(to: &line)
        }
        if statusFields.indices.contains(code.rawValue) {
            line.append(prebuilt: statusFields[code.rawValue])
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
/// (`4f1c09ab-1f`): unique in the process, unlikely to repeat across restarts, one atomic
/// increment each, written straight into the line.
private final class RequestIDs: Sendable {
    private let prefix: [UInt8] = {
        let digits = String(UInt32.random(in: .min ... .max), radix: 16)
        return Array((String(repeating: "0", count: 8 - digits.count) + digits + "-").utf8)
    }()
    private let counter = Atomic<UInt64>(0)

    func appendNext(to line: inout LogLine) {
        let number = counter.add(1, ordering: .relaxed).newValue
        line.append(plainValue: prefix, hex: number)
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
