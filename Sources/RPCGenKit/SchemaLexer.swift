import Foundation

/// Splits schema text into tokens: identifiers (dots allowed), numbers, punctuation, and
/// `///` doc comments; `//` comments and white space are dropped.
struct SchemaLexer {
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
