import Foundation
import Logging
import NIOConcurrencyHelpers

/// How log lines are written (`cashbackd --log-format`).
public enum LogFormat: String, Sendable, CaseIterable {
    /// `StreamLogHandler`'s format: `TIME LEVEL LABEL: KEY=VALUE… [SOURCE] MESSAGE`, local time
    /// to the second with its UTC offset, keys sorted.
    case text
    /// One JSON object per line: `ts` (UTC, milliseconds, RFC 3339), `level`, `label`, `msg`,
    /// then each metadata key, sorted.
    case json
}

/// Bytes that log lines are written into in place, up to a fixed capacity: a log queue.
///
/// Lines are written by ``LogLine``, which keeps its own cursor and sets ``count`` once, when
/// it ends: a line that does not fit leaves the buffer as it was. Not thread-safe: ``LogSink``
/// writes it under a lock, and its writer thread reads it once swapped out.
final class LogBuffer {
    let capacity: Int
    /// Bytes written.
    private(set) var count = 0
    fileprivate let base: UnsafeMutablePointer<UInt8>
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

    /// Empties the buffer; its memory stays.
    func removeAll() {
        count = 0
    }

    /// Ends a line at `count` (``LogLine/finish(_:)``).
    fileprivate func commit(count: Int) {
        precondition(count >= self.count && count <= capacity, "a line outside its buffer")
        self.count = count
    }
}

/// One log line, written into a ``LogBuffer`` in place in either format: the timestamp and the
/// frame's head, then metadata fields in the order given, then the frame's tail. No Foundation
/// encoder, no dictionary and no array of its own: what the access log writes once per call
/// is bytes stored straight into the log queue through the line's own cursor, and its constant
/// parts (``Frame``, ``key(_:format:)``, ``field(_:_:format:)``) are made once.
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
                    line.put(" \(level.rawValue) ")
                    line.putText(label)
                    line.put(UInt8(ascii: ":"))
                case .json:
                    line.put(#"","level":"\#(level.rawValue)","label":"#)
                    line.append(value: label)
                    line.put(#","msg":"#)
                    line.append(value: message)
                }
            }
            tail = LogLine.fragment(format) { line in
                switch format {
                case .text:
                    line.put(" [")
                    line.putText(source)
                    line.put("] ")
                    line.putText(message)
                    line.put(UInt8(ascii: "\n"))
                case .json: line.put("}\n")
                }
            }
        }
    }

    private let buffer: LogBuffer
    private let format: LogFormat
    // The line's own cursor into the buffer: writes touch only this value, and the buffer
    // learns the line's end once, in `finish`.
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private var count: Int
    private var overflowed = false

    /// Starts a line, stamped with the time now, at the end of `buffer`.
    init(_ frame: Frame, into buffer: LogBuffer) {
        self.init(format: frame.format, into: buffer)
        putTimestamp()
        append(prebuilt: frame.head)
    }

    /// Starts a line in `format`, stamped with the time now, at the end of `buffer`, with a
    /// frame's head kept in ``ConstantBytes``.
    init(format: LogFormat, head: UnsafeBufferPointer<UInt8>, into buffer: LogBuffer) {
        self.init(format: format, into: buffer)
        putTimestamp()
        append(constant: head)
    }

    private mutating func putTimestamp() {
        switch format {
        case .text:
            LogClock.putLocalTimestamp(into: &self, cache: &buffer.clock)
        case .json:
            put(#"{"ts":""#)
            LogClock.putUTCTimestamp(into: &self, cache: &buffer.clock)
        }
    }

    /// A part of a line, without timestamp or frame.
    private init(format: LogFormat, into buffer: LogBuffer) {
        self.buffer = buffer
        self.format = format
        base = buffer.base
        capacity = buffer.capacity
        count = buffer.count
    }

    /// Bytes made by `body`, to append with ``append(prebuilt:)`` (made once, reused).
    private static func fragment(_ format: LogFormat, _ body: (inout LogLine) -> Void) -> [UInt8] {
        let buffer = LogBuffer(capacity: 64 << 10)
        var line = LogLine(format: format, into: buffer)
        body(&line)
        precondition(!line.overflowed, "a log line fragment past 64 KiB")
        return Array(UnsafeBufferPointer(start: line.base, count: line.count))
    }

    // MARK: Bytes

    /// Stores `byte`, if it fits.
    @inline(__always)
    mutating func put(_ byte: UInt8) {
        guard count < capacity else {
            overflowed = true
            return
        }
        base[count] = byte
        count += 1
    }

    /// Stores `bytes`, if they fit.
    mutating func put(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= capacity - count else {
            overflowed = true
            return
        }
        if let source = bytes.baseAddress {
            UnsafeMutableRawPointer(base + count).copyMemory(from: source, byteCount: bytes.count)
        }
        count += bytes.count
    }

    /// Stores bytes, if they fit.
    mutating func put(bytes: some Collection<UInt8>) {
        let copied: Void? = bytes.withContiguousStorageIfAvailable {
            put(UnsafeRawBufferPointer($0))
        }
        if copied == nil { for byte in bytes { put(byte) } }
    }

    /// Stores the UTF-8 of `text`, if it fits.
    mutating func put(_ text: String) {
        put(bytes: text.utf8)
    }

    // MARK: Fields

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
            put(UInt8(ascii: " "))
            putText(key)
            put(UInt8(ascii: "="))
        case .json:
            put(UInt8(ascii: ","))
            putJSONString(key)
            put(UInt8(ascii: ":"))
        }
    }

    /// Appends a field whose value is text (a JSON string).
    mutating func append(_ key: String, _ value: String) {
        append(key: key)
        append(value: value)
    }

    /// Appends bytes made by ``key(_:format:)`` or ``field(_:_:format:)``.
    mutating func append(prebuilt: [UInt8]) {
        prebuilt.withUnsafeBytes { put($0) }
    }

    /// Appends bytes kept in ``ConstantBytes``.
    @inline(__always)
    mutating func append(constant: UnsafeBufferPointer<UInt8>) {
        put(UnsafeRawBufferPointer(constant))
    }

    /// Appends a value of text after its key (a JSON string).
    mutating func append(value: String) {
        switch format {
        case .text: putText(value)
        case .json: putJSONString(value)
        }
    }

    /// Appends a value of text that needs no escape in either format (printable ASCII
    /// without `"` or `\`), followed by `hex` in lower-case hexadecimal if given (a JSON
    /// string).
    mutating func append(plainValue: some Collection<UInt8>, hex: UInt64? = nil) {
        if format == .json { put(UInt8(ascii: "\"")) }
        put(bytes: plainValue)
        if let hex { putDigits(hex, radix: 16) }
        if format == .json { put(UInt8(ascii: "\"")) }
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
        if value < 0 { put(UInt8(ascii: "-")) }
        putDigits(magnitude / 1000, radix: 10)
        put(UInt8(ascii: "."))
        putDigits(magnitude % 1000, radix: 10, count: 3)
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
            putJSONValue(value)
        }
    }

    /// Ends the line with the frame's tail (and its newline). A line that does not fit leaves
    /// the buffer as it was: returns whether it is in the buffer.
    mutating func finish(_ frame: Frame) -> Bool {
        append(prebuilt: frame.tail)
        return commit()
    }

    /// Ends the line with a frame's tail kept in ``ConstantBytes`` (see ``finish(_:)``).
    mutating func finish(tail: UnsafeBufferPointer<UInt8>) -> Bool {
        append(constant: tail)
        return commit()
    }

    private mutating func commit() -> Bool {
        guard !overflowed else { return false }
        buffer.commit(count: count)
        return true
    }

    // MARK: Text, as the text format shows it

    /// Stores `text` for the text format: as it is, except the characters that would end the
    /// line or hide what follows it (C0 controls, DEL, U+0085, U+2028, U+2029), written `\n`,
    /// `\r`, `\t` or `\u{1b}`. A value a peer chose (an ALPN name it offered, a path it called)
    /// then cannot add a line of its own to the log.
    private mutating func putText(_ text: String) {
        if !putWhole(text, unlessAnyByte: Self.mayNeedTextEscape) { putTextEscaped(text) }
    }

    /// Stores `text` whole and returns `true`, unless one of its bytes satisfies `needsCare`
    /// (or its UTF-8 is not contiguous): most text needs no escape, and is then copied at once
    /// rather than scalar by scalar.
    @inline(__always)
    private mutating func putWhole(_ text: String, unlessAnyByte needsCare: (UInt8) -> Bool)
        -> Bool
    {
        text.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            guard !utf8.contains(where: needsCare) else { return false }
            put(UnsafeRawBufferPointer(utf8))
            return true
        } ?? false
    }

    /// Whether a byte is, or may start, a character the text format escapes: a control
    /// character, or the first byte of U+0085 (`C2 85`) or U+2028/U+2029 (`E2 80 A8/A9`).
    @inline(__always)
    private static func mayNeedTextEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x7f || byte == 0xc2 || byte == 0xe2
    }

    private mutating func putTextEscaped(_ text: String) {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": put(#"\n"#)
            case "\r": put(#"\r"#)
            case "\t": put(#"\t"#)
            case "\u{0}"..."\u{1f}", "\u{7f}", "\u{85}", "\u{2028}", "\u{2029}":
                put(#"\u{"#)
                putDigits(UInt64(scalar.value), radix: 16)
                put(UInt8(ascii: "}"))
            default:
                put(bytes: scalar.utf8)
            }
        }
    }

    // MARK: JSON text, as RFC 8259 writes it

    /// Stores `text` as a JSON string: quotes, backslashes and control characters escaped;
    /// everything else (UTF-8 beyond ASCII included) as it is.
    private mutating func putJSONString(_ text: String) {
        put(UInt8(ascii: "\""))
        if !putWhole(text, unlessAnyByte: Self.needsEscape) { putEscaped(text) }
        put(UInt8(ascii: "\""))
    }

    /// Whether a byte must be escaped inside a JSON string.
    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private mutating func putEscaped(_ text: String) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): put(#"\""#)
            case UInt8(ascii: "\\"): put(#"\\"#)
            case UInt8(ascii: "\n"): put(#"\n"#)
            case UInt8(ascii: "\r"): put(#"\r"#)
            case UInt8(ascii: "\t"): put(#"\t"#)
            case 0..<0x20:
                put(#"\u00"#)
                putDigits(UInt64(byte), radix: 16, count: 2)
            default: put(byte)
            }
        }
    }

    /// Stores a swift-log metadata value as JSON.
    private mutating func putJSONValue(_ value: Logger.MetadataValue) {
        switch value {
        case .string(let text): putJSONString(text)
        case .stringConvertible(let convertible): putJSONString(convertible.description)
        case .array(let values):
            put(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { put(UInt8(ascii: ",")) }
                putJSONValue(element)
            }
            put(UInt8(ascii: "]"))
        case .dictionary(let entries):
            put(UInt8(ascii: "{"))
            for (index, (key, element)) in entries.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { put(UInt8(ascii: ",")) }
                putJSONString(key)
                put(UInt8(ascii: ":"))
                putJSONValue(element)
            }
            put(UInt8(ascii: "}"))
        }
    }

    /// Stores `value` in `radix` (10 or 16, lower-case), in `count` digits (leading zeros;
    /// `value` must fit) if given, else in as few as it takes; if they fit. Inlined, so that
    /// each call divides by a constant (a multiplication or a shift, not a division).
    @inline(__always)
    mutating func putDigits(_ value: UInt64, radix: UInt64, count fixed: Int? = nil) {
        precondition(radix == 10 || radix == 16, "digits in base 10 or 16")
        var digits = 1
        if let fixed {
            digits = fixed
        } else {
            var rest = value / radix
            while rest > 0 {
                digits += 1
                rest /= radix
            }
        }
        guard digits <= capacity - count else {
            overflowed = true
            return
        }
        // From the last digit back, straight into the buffer: one check of the room left.
        var rest = value
        for index in (count..<count + digits).reversed() {
            let digit = UInt8(truncatingIfNeeded: rest % radix)
            base[index] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") - 10 + digit
            rest /= radix
        }
        count += digits
    }
}

/// Values made once and read by every thread that logs, in memory that is never retained or
/// released: held in arrays, each read of one by an event loop would retain and release the
/// array, and with two event loops reading the same arrays every access line moved their
/// reference counts' cache lines between the cores (two threads logging took twice as long
/// per line as one). The memory lives as long as this object.
final class ConstantBytes: @unchecked Sendable {  // `allocations` under `lock`
    private let lock = NIOLock()
    private var allocations: [UnsafeMutableRawPointer] = []

    /// A copy of `values` that lives as long as this object.
    func keep<Element: BitwiseCopyable>(_ values: [Element]) -> UnsafeBufferPointer<Element> {
        let copy = UnsafeMutableBufferPointer<Element>.allocate(capacity: max(values.count, 1))
        _ = copy.initialize(from: values)
        lock.withLock { allocations.append(UnsafeMutableRawPointer(copy.baseAddress!)) }
        return UnsafeBufferPointer(rebasing: copy[..<values.count])
    }

    deinit {
        for allocation in allocations { allocation.deallocate() }
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
    static func putLocalTimestamp(into line: inout LogLine, cache: inout Cache) {
        refresh(&cache, second: now().second)
        line.append(prebuilt: cache.local)
    }

    /// UTC to the millisecond, RFC 3339: `2026-11-30T10:00:00.123Z`.
    static func putUTCTimestamp(into line: inout LogLine, cache: inout Cache) {
        let now = now()
        refresh(&cache, second: now.second)
        line.append(prebuilt: cache.utc)
        let milliseconds = now.nanoseconds / 1_000_000
        line.put(UInt8(ascii: "."))
        line.putDigits(UInt64(milliseconds), radix: 10, count: 3)
        line.put(UInt8(ascii: "Z"))
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
