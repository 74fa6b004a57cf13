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

/// One log line, built as bytes in either format: the header fields, then metadata fields in
/// the order given, then the end. No Foundation encoder and no dictionary: what the access log
/// writes once per call costs one array.
///
/// ```swift
/// var line = LogLine(format: .json, level: .info, label: "cashback.access", message: "call")
/// line.append("method", "cashback.v1.Wallet/GetBalance")
/// sink.enqueue(line.finish(source: "CashbackServer"))
/// // {"ts":"2026-11-30T10:00:00.123Z","level":"info","label":"cashback.access","msg":"call","method":"cashback.v1.Wallet/GetBalance"}
/// ```
struct LogLine {
    private(set) var bytes: [UInt8] = []
    private let format: LogFormat
    /// The text format writes the message last.
    private let message: String

    /// Starts a line stamped with the time now.
    init(format: LogFormat, level: Logger.Level, label: String, message: String) {
        self.format = format
        self.message = message
        bytes.reserveCapacity(256)
        switch format {
        case .text:
            LogClock.shared.appendLocalTimestamp(to: &bytes)
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: level.rawValue.utf8)
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: label.utf8)
            bytes.append(UInt8(ascii: ":"))
        case .json:
            bytes.append(contentsOf: #"{"ts":""#.utf8)
            LogClock.shared.appendUTCTimestamp(to: &bytes)
            bytes.append(contentsOf: #"","level":""#.utf8)
            bytes.append(contentsOf: level.rawValue.utf8)
            bytes.append(contentsOf: #"","label":"#.utf8)
            JSONText.appendString(label, to: &bytes)
            bytes.append(contentsOf: #","msg":"#.utf8)
            JSONText.appendString(message, to: &bytes)
        }
    }

    /// Appends a field whose value is text (a JSON string).
    mutating func append(_ key: String, _ value: String) {
        startField(key)
        switch format {
        case .text: bytes.append(contentsOf: value.utf8)
        case .json: JSONText.appendString(value, to: &bytes)
        }
    }

    /// Appends a field whose value is a number of thousandths, written as a decimal with three
    /// places (a JSON number): 1234 is `1.234`. Integers only: no rounding of floating point.
    mutating func append(_ key: String, thousandths value: Int64) {
        startField(key)
        let magnitude = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        JSONText.appendDecimal(magnitude / 1000, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        let fraction = magnitude % 1000
        bytes.append(UInt8(ascii: "0") + UInt8(fraction / 100))
        bytes.append(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        bytes.append(UInt8(ascii: "0") + UInt8(fraction % 10))
    }

    /// Appends a swift-log metadata value: strings as strings, lists and dictionaries as JSON
    /// arrays and objects (in the text format, as swift-log prints them).
    mutating func append(_ key: String, _ value: Logger.MetadataValue) {
        switch (format, value) {
        case (_, .string(let text)): append(key, text)
        case (_, .stringConvertible(let convertible)): append(key, convertible.description)
        case (.text, _): append(key, value.description)
        case (.json, _):
            startField(key)
            JSONText.appendValue(value, to: &bytes)
        }
    }

    private mutating func startField(_ key: String) {
        switch format {
        case .text:
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: key.utf8)
            bytes.append(UInt8(ascii: "="))
        case .json:
            bytes.append(UInt8(ascii: ","))
            JSONText.appendString(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
        }
    }

    /// Ends the line (with its newline) and returns it.
    mutating func finish(source: String) -> [UInt8] {
        switch format {
        case .text:
            bytes.append(contentsOf: " [".utf8)
            bytes.append(contentsOf: source.utf8)
            bytes.append(contentsOf: "] ".utf8)
            bytes.append(contentsOf: message.utf8)
        case .json:
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }
}

/// JSON text as RFC 8259 writes it, appended to bytes.
enum JSONText {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `text` as a JSON string: quotes, backslashes and control characters escaped;
    /// everything else (UTF-8 beyond ASCII included) as it is.
    static func appendString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        // Most text needs no escape: then it is copied whole rather than byte by byte.
        let copied =
            text.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
                guard !utf8.contains(where: needsEscape) else { return false }
                bytes.append(contentsOf: utf8)
                return true
            } ?? false
        if !copied { appendEscaped(text, to: &bytes) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Whether a byte must be escaped inside a JSON string.
    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static func appendEscaped(_ text: String, to bytes: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): bytes.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0xf)])
            default: bytes.append(byte)
            }
        }
    }

    /// Appends a swift-log metadata value as JSON.
    static func appendValue(_ value: Logger.MetadataValue, to bytes: inout [UInt8]) {
        switch value {
        case .string(let text): appendString(text, to: &bytes)
        case .stringConvertible(let convertible): appendString(convertible.description, to: &bytes)
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                appendValue(element, to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .dictionary(let entries):
            bytes.append(UInt8(ascii: "{"))
            for (index, (key, element)) in entries.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                appendString(key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                appendValue(element, to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `value` in decimal digits.
    static func appendDecimal(_ value: UInt64, to bytes: inout [UInt8]) {
        guard value >= 10 else {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        appendDecimal(value / 10, to: &bytes)
        bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}

/// The wall clock as log lines show it, formatted once per second: every line of a second
/// shares the text, so a busy log does not call `localtime_r` (which takes glibc's time zone
/// lock) once per line.
final class LogClock: Sendable {
    static let shared = LogClock()

    private struct Cached {
        var second = Int.min
        var local: [UInt8] = []
        var utc: [UInt8] = []
    }

    private let cache = NIOLockedValueBox(Cached())

    /// Local time to the second with the UTC offset, as `StreamLogHandler` writes it:
    /// `2026-11-30T11:00:00+0100`.
    func appendLocalTimestamp(to bytes: inout [UInt8]) {
        let now = Self.now()
        bytes.append(contentsOf: formatted(second: now.second).local)
    }

    /// UTC to the millisecond, RFC 3339: `2026-11-30T10:00:00.123Z`.
    func appendUTCTimestamp(to bytes: inout [UInt8]) {
        let now = Self.now()
        bytes.append(contentsOf: formatted(second: now.second).utc)
        let milliseconds = now.nanoseconds / 1_000_000
        bytes.append(UInt8(ascii: "."))
        bytes.append(UInt8(ascii: "0") + UInt8(milliseconds / 100))
        bytes.append(UInt8(ascii: "0") + UInt8(milliseconds / 10 % 10))
        bytes.append(UInt8(ascii: "0") + UInt8(milliseconds % 10))
        bytes.append(UInt8(ascii: "Z"))
    }

    private static func now() -> (second: Int, nanoseconds: Int) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return (spec.tv_sec, spec.tv_nsec)
    }

    private func formatted(second: Int) -> Cached {
        if let cached = cache.withLockedValue({ $0.second == second ? $0 : nil }) {
            return cached
        }
        let fresh = Cached(
            second: second,
            local: Self.format(second, "%Y-%m-%dT%H:%M:%S%z", utc: false),
            utc: Self.format(second, "%Y-%m-%dT%H:%M:%S", utc: true))
        cache.withLockedValue { $0 = fresh }
        return fresh
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
