import Foundation
import Logging

/// How log lines are written (`cashbackd --log-format`).
public enum LogFormat: String, Sendable, CaseIterable {
    /// `StreamLogHandler`'s format: `TIME LEVEL LABEL: KEY=VALUE… [SOURCE] MESSAGE`, local time
    /// to the second with its UTC offset, keys sorted.
    case text
    /// One JSON object per line: `ts` (UTC, milliseconds, RFC 3339), `level`, `label`, `msg`,
    /// then each metadata key, sorted.
    case json
}

/// Bytes that log lines are written into in place, up to a fixed capacity: the log queue.
///
/// A line that does not fit sets ``overflowed`` and writes nothing more; its writer takes it
/// back (``truncate(to:)``). Not thread-safe: ``LogSink`` writes it under its lock, and its
/// writer thread reads it once swapped out.
final class LogBuffer {
    let capacity: Int
    /// Bytes written.
    private(set) var count = 0
    /// Whether a write did not fit since the last ``truncate(to:)``.
    private(set) var overflowed = false
    private let base: UnsafeMutablePointer<UInt8>
    /// The second the lines written here were last stamped with, formatted (``LogClock``):
    /// a buffer is written by one thread at a time, so its cache needs no lock.
    fileprivate var clock = LogClock.Cache()

    init(capacity: Int) {
        precondition(capacity > 0, "a log buffer holds at least one byte")
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit {
        base.deallocate()
    }

    /// The bytes written.
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    /// Appends `byte`, if it fits.
    @inline(__always)
    func write(_ byte: UInt8) {
        guard count < capacity else {
            overflowed = true
            return
        }
        base[count] = byte
        count += 1
    }

    /// Appends `bytes`, if they fit.
    func write(_ bytes: UnsafeRawBufferPointer) {
        guard !overflowed, bytes.count <= capacity - count else {
            overflowed = true
            return
        }
        if let source = bytes.baseAddress {
            UnsafeMutableRawPointer(base + count).copyMemory(from: source, byteCount: bytes.count)
        }
        count += bytes.count
    }

    /// Appends bytes, if they fit.
    func write(_ bytes: some Collection<UInt8>) {
        let copied: Void? = bytes.withContiguousStorageIfAvailable {
            write(UnsafeRawBufferPointer($0))
        }
        if copied == nil { for byte in bytes { write(byte) } }
    }

    /// Appends the UTF-8 of `text`, if it fits.
    func write(_ text: String) {
        write(text.utf8)
    }

    /// Takes back what was written after `count` bytes (a line that did not fit).
    func truncate(to count: Int) {
        precondition(count <= self.count, "truncating past the end")
        self.count = count
        overflowed = false
    }

    /// Empties the buffer; its memory stays.
    func removeAll() {
        truncate(to: 0)
    }
}

/// One log line, written into a ``LogBuffer`` in place in either format: the timestamp and the
/// frame's head, then metadata fields in the order given, then the frame's tail. No Foundation
/// encoder, no dictionary and no array of its own: what the access log writes once per call
/// is bytes copied into the log queue, and its constant parts (``Frame``, ``key(_:format:)``,
/// ``field(_:_:format:)``) are made once.
///
/// ```swift
/// let frame = LogLine.Frame(format: .json, level: .info, label: "cashback.access", message: "call", source: "CashbackServer")
/// sink.enqueue { buffer in
///     var line = LogLine(frame, into: buffer)
///     line.append("method", "cashback.v1.Wallet/GetBalance")
///     return line.finish(frame)
/// }
/// // {"ts":"2026-11-30T10:00:00.123Z","level":"info","label":"cashback.access","msg":"call","method":"cashback.v1.Wallet/GetBalance"}
/// ```
struct LogLine {
    /// What every line of one logger, level and message has around its fields.
    struct Frame: Sendable {
        let format: LogFormat
        /// After the timestamp: JSON `","level":"info","label":"…","msg":"…"`, text ` info LABEL:`.
        let head: [UInt8]
        /// After the fields: JSON `}`, text ` [SOURCE] MESSAGE`; then the newline.
        let tail: [UInt8]

        init(format: LogFormat, level: Logger.Level, label: String, message: String, source: String) {
            self.format = format
            head = LogLine.fragment(format) { line in
                switch format {
                case .text:
                    line.buffer.write(" \(level.rawValue) \(label):")
                case .json:
                    line.buffer.write(#"","level":"\#(level.rawValue)","label":"#)
                    line.append(value: label)
                    line.buffer.write(#","msg":"#)
                    line.append(value: message)
                }
            }
            tail = LogLine.fragment(format) { line in
                switch format {
                case .text: line.buffer.write(" [\(source)] \(message)\n")
                case .json: line.buffer.write("}\n")
                }
            }
        }
    }

    fileprivate let buffer: LogBuffer
    private let format: LogFormat
    /// Where the line starts in the buffer: a line that does not fit is taken back to here.
    private let start: Int

    /// Starts a line, stamped with the time now, at the end of `buffer`.
    init(_ frame: Frame, into buffer: LogBuffer) {
        self.init(format: frame.format, into: buffer)
        switch format {
        case .text:
            LogClock.writeLocalTimestamp(to: buffer)
        case .json:
            buffer.write(#"{"ts":""#)
            LogClock.writeUTCTimestamp(to: buffer)
        }
        append(prebuilt: frame.head)
    }

    /// A part of a line, without timestamp or frame.
    private init(format: LogFormat, into buffer: LogBuffer) {
        self.buffer = buffer
        self.format = format
        start = buffer.count
    }

    /// Bytes made by `body`, to append with ``append(prebuilt:)`` (made once, reused).
    private static func fragment(_ format: LogFormat, _ body: (inout LogLine) -> Void) -> [UInt8] {
        let buffer = LogBuffer(capacity: 64 << 10)
        var line = LogLine(format: format, into: buffer)
        body(&line)
        precondition(!buffer.overflowed, "a log line fragment past 64 KiB")
        return Array(buffer.bytes)
    }

    /// What starts a field `key`: JSON `,"KEY":`, text ` KEY=`.
    static func key(_ key: String, format: LogFormat) -> [UInt8] {
        fragment(format) { $0.append(key: key) }
    }

    /// A whole field whose value is text, to append as it is.
    static func field(_ key: String, _ value: String, format: LogFormat) -> [UInt8] {
        fragment(format) { $0.append(key, value) }
    }

    private mutating func append(key: String) {
        switch format {
        case .text:
            buffer.write(UInt8(ascii: " "))
            buffer.write(key)
            buffer.write(UInt8(ascii: "="))
        case .json:
            buffer.write(UInt8(ascii: ","))
            JSONText.writeString(key, to: buffer)
            buffer.write(UInt8(ascii: ":"))
        }
    }

    /// Appends a field whose value is text (a JSON string).
    mutating func append(_ key: String, _ value: String) {
        append(key: key)
        append(value: value)
    }

    /// Appends bytes made by ``key(_:format:)`` or ``field(_:_:format:)``.
    mutating func append(prebuilt: [UInt8]) {
        prebuilt.withUnsafeBytes { buffer.write($0) }
    }

    /// Appends a value of text after its key (a JSON string).
    mutating func append(value: String) {
        switch format {
        case .text: buffer.write(value)
        case .json: JSONText.writeString(value, to: buffer)
        }
    }

    /// Appends a value of text that needs no escape in either format (printable ASCII
    /// without `"` or `\`): `plainValue`, then what `more` writes (a JSON string).
    mutating func append(
        plainValue: some Collection<UInt8>, _ more: (LogBuffer) -> Void = { _ in }
    ) {
        if format == .json { buffer.write(UInt8(ascii: "\"")) }
        buffer.write(plainValue)
        more(buffer)
        if format == .json { buffer.write(UInt8(ascii: "\"")) }
    }

    /// Appends a field whose value is a number of thousandths, written as a decimal with three
    /// places (a JSON number): 1234 is `1.234`. Integers only: no rounding of floating point.
    mutating func append(_ key: String, thousandths value: Int64) {
        append(key: key)
        append(thousandths: value)
    }

    /// Appends a number of thousandths after its key (see ``append(_:thousandths:)``).
    mutating func append(thousandths value: Int64) {
        let magnitude = value.magnitude
        if value < 0 { buffer.write(UInt8(ascii: "-")) }
        JSONText.writeDecimal(magnitude / 1000, to: buffer)
        let fraction = magnitude % 1000
        buffer.write(UInt8(ascii: "."))
        buffer.write(UInt8(ascii: "0") + UInt8(fraction / 100))
        buffer.write(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        buffer.write(UInt8(ascii: "0") + UInt8(fraction % 10))
    }

    /// Appends a swift-log metadata value: strings as strings, lists and dictionaries as JSON
    /// arrays and objects (in the text format, as swift-log prints them).
    mutating func append(_ key: String, _ value: Logger.MetadataValue) {
        switch (format, value) {
        case (_, .string(let text)): append(key, text)
        case (_, .stringConvertible(let convertible)): append(key, convertible.description)
        case (.text, _): append(key, value.description)
        case (.json, _):
            append(key: key)
            JSONText.writeValue(value, to: buffer)
        }
    }

    /// Ends the line with the frame's tail (and its newline). A line that did not fit is
    /// taken back: returns whether it is in the buffer.
    func finish(_ frame: Frame) -> Bool {
        frame.tail.withUnsafeBytes { buffer.write($0) }
        guard buffer.overflowed else { return true }
        buffer.truncate(to: start)
        return false
    }
}

/// JSON text as RFC 8259 writes it.
enum JSONText {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Writes `text` as a JSON string: quotes, backslashes and control characters escaped;
    /// everything else (UTF-8 beyond ASCII included) as it is.
    static func writeString(_ text: String, to buffer: LogBuffer) {
        buffer.write(UInt8(ascii: "\""))
        // Most text needs no escape: then it is copied whole rather than byte by byte.
        let copied =
            text.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
                guard !utf8.contains(where: needsEscape) else { return false }
                buffer.write(UnsafeRawBufferPointer(utf8))
                return true
            } ?? false
        if !copied { writeEscaped(text, to: buffer) }
        buffer.write(UInt8(ascii: "\""))
    }

    /// Whether a byte must be escaped inside a JSON string.
    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static func writeEscaped(_ text: String, to buffer: LogBuffer) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.write(#"\""#)
            case UInt8(ascii: "\\"): buffer.write(#"\\"#)
            case UInt8(ascii: "\n"): buffer.write(#"\n"#)
            case UInt8(ascii: "\r"): buffer.write(#"\r"#)
            case UInt8(ascii: "\t"): buffer.write(#"\t"#)
            case 0..<0x20:
                buffer.write(#"\u00"#)
                buffer.write(hexDigits[Int(byte >> 4)])
                buffer.write(hexDigits[Int(byte & 0xf)])
            default: buffer.write(byte)
            }
        }
    }

    /// Writes a swift-log metadata value as JSON.
    static func writeValue(_ value: Logger.MetadataValue, to buffer: LogBuffer) {
        switch value {
        case .string(let text): writeString(text, to: buffer)
        case .stringConvertible(let convertible): writeString(convertible.description, to: buffer)
        case .array(let values):
            buffer.write(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { buffer.write(UInt8(ascii: ",")) }
                writeValue(element, to: buffer)
            }
            buffer.write(UInt8(ascii: "]"))
        case .dictionary(let entries):
            buffer.write(UInt8(ascii: "{"))
            for (index, (key, element)) in entries.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { buffer.write(UInt8(ascii: ",")) }
                writeString(key, to: buffer)
                buffer.write(UInt8(ascii: ":"))
                writeValue(element, to: buffer)
            }
            buffer.write(UInt8(ascii: "}"))
        }
    }

    /// Writes `value` in decimal digits.
    static func writeDecimal(_ value: UInt64, to buffer: LogBuffer) {
        if value >= 10 { writeDecimal(value / 10, to: buffer) }
        buffer.write(UInt8(ascii: "0") + UInt8(value % 10))
    }
}

/// The wall clock as log lines show it. A second is formatted once per ``LogBuffer`` (each
/// thread formats its lines in a buffer of its own) and kept: a busy log neither calls
/// `localtime_r` (which takes glibc's time zone lock) once per line nor shares a cache (and
/// its lock) between event loops.
enum LogClock {
    /// The formatted second of one buffer.
    struct Cache {
        fileprivate var second = Int.min
        fileprivate var local: [UInt8] = []
        fileprivate var utc: [UInt8] = []
    }

    /// Local time to the second with the UTC offset, as `StreamLogHandler` writes it:
    /// `2026-11-30T11:00:00+0100`.
    static func writeLocalTimestamp(to buffer: LogBuffer) {
        refresh(&buffer.clock, second: now().second)
        buffer.clock.local.withUnsafeBytes { buffer.write($0) }
    }

    /// UTC to the millisecond, RFC 3339: `2026-11-30T10:00:00.123Z`.
    static func writeUTCTimestamp(to buffer: LogBuffer) {
        let now = now()
        refresh(&buffer.clock, second: now.second)
        buffer.clock.utc.withUnsafeBytes { buffer.write($0) }
        let milliseconds = now.nanoseconds / 1_000_000
        buffer.write(UInt8(ascii: "."))
        buffer.write(UInt8(ascii: "0") + UInt8(milliseconds / 100))
        buffer.write(UInt8(ascii: "0") + UInt8(milliseconds / 10 % 10))
        buffer.write(UInt8(ascii: "0") + UInt8(milliseconds % 10))
        buffer.write(UInt8(ascii: "Z"))
    }

    private static func now() -> (second: Int, nanoseconds: Int) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return (spec.tv_sec, spec.tv_nsec)
    }

    private static func refresh(_ cache: inout Cache, second: Int) {
        guard cache.second != second else { return }
        cache.second = second
        cache.local = format(second, "%Y-%m-%dT%H:%M:%S%z", utc: false)
        cache.utc = format(second, "%Y-%m-%dT%H:%M:%S", utc: true)
    }

    private static func format(_ second: Int, _ pattern: String, utc: Bool) -> [UInt8] {
        var time = second
        var parts = tm()
        if utc { gmtime_r(&time, &parts) } else { localtime_r(&time, &parts) }
        var buffer = [Int8](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, pattern, &parts)
        return buffer[..<count].map { UInt8(bitPattern: $0) }
    }
}
