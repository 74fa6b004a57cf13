import Foundation

/// Splits schema text into tokens: identifiers (dots allowed), numbers, punctuation, and
/// `///` doc comments; `//` comments and white space are dropped.
struct SchemaLexer {
    /// Control characters other than tab and line ends, and bidi embedding, override and
    /// isolate characters.
    static func isRefused(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0a, 0x0d: false
        case 0x00...0x1f, 0x7f, 0x80...0x9f, 0x202a...0x202e, 0x2066...0x2069: true
        default: false
        }
    }

    enum Kind: Hashable {
        case identifier(String)
        case number(UInt64)
        case symbol(Character)
        case doc(String)
    }

    struct Token: Hashable {
        var kind: Kind
        var line: Int
        /// The token's first character in its line, from 1.
        var column: Int
    }

    static func tokens(of text: String, path: String) throws(SchemaError) -> [Token] {
        var tokens: [Token] = []
        // "\r\n" is one Character in Swift and would never equal "\n": normalise line ends.
        let chars = Array(text.replacingOccurrences(of: "\r\n", with: "\n")
            .replacingOccurrences(of: "\r", with: "\n"))
        var index = 0
        var line = 1
        var lineStart = 0
        /// The column of the character at `start`.
        func column(_ start: Int) -> Int { start - lineStart + 1 }
        // Characters that would reach the generated Swift (through a doc comment) and break it
        // or hide what it says: control characters but tab and line ends, and the bidi
        // overrides that make code read other than it compiles.
        for (offset, char) in chars.enumerated() {
            guard let scalar = char.unicodeScalars.first(where: Self.isRefused) else { continue }
            let lineNumber = chars[..<offset].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
            throw SchemaError(
                path: path, line: lineNumber,
                message: "the character U+\(String(scalar.value, radix: 16, uppercase: true)) "
                    + "is not allowed in a schema (a control or bidi character); remove it")
        }
        while index < chars.count {
            let char = chars[index]
            if char == "\n" {
                line += 1
                index += 1
                lineStart = index
            } else if char.isWhitespace {
                index += 1
            } else if char == "/", index + 1 < chars.count, chars[index + 1] == "/" {
                let start = index
                while index < chars.count, chars[index] != "\n" { index += 1 }
                let comment = String(chars[start..<index])
                if comment.hasPrefix("///") {
                    var body = comment.dropFirst(3)
                    if body.first == " " { body = body.dropFirst() }
                    tokens.append(
                        Token(kind: .doc(String(body)), line: line, column: column(start)))
                }
            } else if char.isLetter || char == "_" {
                let start = index
                while index < chars.count,
                    chars[index].isLetter || chars[index].isNumber || chars[index] == "_"
                        || chars[index] == "."
                {
                    index += 1
                }
                tokens.append(
                    Token(
                        kind: .identifier(String(chars[start..<index])), line: line,
                        column: column(start)))
            } else if char.isASCII, char.isNumber {
                let start = index
                while index < chars.count, chars[index].isASCII, chars[index].isNumber {
                    index += 1
                }
                guard let value = UInt64(String(chars[start..<index])) else {
                    throw SchemaError(
                        path: path, line: line, column: column(start),
                        message: "number is too large")
                }
                tokens.append(Token(kind: .number(value), line: line, column: column(start)))
            } else if "{}();=".contains(char) {
                tokens.append(Token(kind: .symbol(char), line: line, column: column(index)))
                index += 1
            } else {
                throw SchemaError(
                    path: path, line: line, column: column(index),
                    message: "unexpected character '\(char)'")
            }
        }
        return tokens
    }
}
