import Foundation

/// How the probe prints (`--format`): for people, or for scripts.
///
/// `text` is the default: messages as pretty-printed JSON, `list`, `describe` and `health` as
/// lines, errors as `STATUS: message`. `json` prints every result as one JSON value on a line
/// of its own on standard output (a streaming call: one line per message), and an error as one
/// line on standard error, `{"error":{"code":…,"message":…,"exitCode":…}}`; README's "The
/// probe's JSON output" gives each shape.
enum OutputFormat: String, CaseIterable, Sendable {
    case text
    case json

    /// The format `--format` names; `text` when it is absent.
    ///
    /// - Throws: ``ProbeUsageError`` for another name.
    init(flag: String?) throws {
        guard let format = Self(rawValue: flag ?? Self.text.rawValue) else {
            throw ProbeUsageError("--format must be text or json, got '\(flag ?? "")'")
        }
        self = format
    }

    /// The format the raw `arguments` ask for, for errors found before they are parsed (an
    /// unknown flag): `json` when they hold `--format json` or `--format=json`.
    static func requested(in arguments: [String]) -> OutputFormat {
        let asked = zip(arguments, arguments.dropFirst()).contains { $0 == ("--format", "json") }
        return asked || arguments.contains("--format=json") ? .json : .text
    }
}

/// One JSON value on one line: the `json` format's unit.
enum JSONLine {
    /// `value` as JSON on one line, keys sorted, `/` left as it is.
    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every value printed is made of strings, integers, finite doubles, booleans and
        // arrays or objects of them: encoding cannot fail.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    /// `json` (valid JSON, pretty-printed) on one line: the whitespace between tokens removed,
    /// strings untouched. The text is not parsed into numbers, so no int64 loses a digit.
    static func minified(_ json: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(json.count)
        var inString = false
        var escaped = false
        for byte in json {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if isWhitespace(byte) {
                continue
            }
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Space, tab, line feed or carriage return: JSON's whitespace (RFC 8259 §2).
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d
    }
}
