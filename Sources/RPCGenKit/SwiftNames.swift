/// How schema names become Swift and JSON names. Defined once so that the message types, the
/// client stubs and the JSON mapping can never disagree.
enum SwiftNames {
    /// Swift's reserved words (The Swift Programming Language, "Lexical Structure"): a name
    /// that is one of them is written in backticks.
    private static let keywords: Set<String> = [
        "associatedtype", "borrowing", "class", "consuming", "deinit", "enum", "extension",
        "fileprivate", "func", "import", "init", "inout", "internal", "let", "nonisolated", "open",
        "operator", "private", "precedencegroup", "protocol", "public", "rethrows", "static",
        "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue",
        "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat",
        "return", "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil",
        "self", "Self", "super", "throws", "true", "try", "Type",
    ]

    /// `cashback.v1` → `CashbackV1`.
    static func namespace(_ package: String) -> String {
        package.split(separator: ".").map { upperFirst(String($0)) }.joined()
    }

    /// `merchant_id` → `merchantID` (Swift's convention for initialisms).
    static func property(_ snake: String) -> String {
        let words = snake.split(separator: "_").map(String.init)
        let camel = words.enumerated().map { index, word in
            if index == 0 { return word }
            return word == "id" ? "ID" : upperFirst(word)
        }.joined()
        return escaped(camel)
    }

    /// `merchant_id` → `merchantId`, as protobuf's JSON mapping spells it.
    static func json(_ snake: String) -> String {
        let words = snake.split(separator: "_").map(String.init)
        return words.enumerated().map { $0 == 0 ? $1 : upperFirst($1) }.joined()
    }

    /// `GetBalance` → `getBalance`.
    static func method(_ upperCamel: String) -> String {
        escaped(upperCamel.prefix(1).lowercased() + upperCamel.dropFirst())
    }

    /// `NOT_SERVING` → `notServing`.
    static func enumCase(_ upperSnake: String) -> String {
        let words = upperSnake.lowercased().split(separator: "_").map(String.init)
        return escaped(words.enumerated().map { $0 == 0 ? $1 : upperFirst($1) }.joined())
    }

    static func upperFirst(_ word: String) -> String {
        word.prefix(1).uppercased() + word.dropFirst()
    }

    private static func escaped(_ name: String) -> String {
        keywords.contains(name) ? "`\(name)`" : name
    }

    /// A Swift string literal for `text`.
    static func literal(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Builds indented source text line by line.
struct CodeWriter {
    /// The longest line the generated code should have, as `.swift-format` asks.
    static let width = 100

    private(set) var text = ""
    private var depth = 0

    /// The columns left on a line at the current depth.
    var room: Int { Self.width - 4 * depth }

    /// `opening`, the items joined by ", ", then `closing`: on one line when it fits;
    /// otherwise `opening` ends the first line and the items fill the lines below, one level
    /// deeper, `closing` after the last (as swift-format breaks an argument list).
    mutating func wrapped(_ opening: String, _ items: [String], _ closing: String) {
        guard !fitsOneLine(opening, items, closing) else { return }
        line(opening)
        fill(items.enumerated().map { $1 + ($0 == items.count - 1 ? closing : ",") })
    }

    /// A collection literal: `opening` + the items + `closing` on one line when it fits;
    /// otherwise the items fill the lines below `opening`, one level deeper, each followed by a
    /// comma, and `closing` has a line of its own (as swift-format writes an array that wraps).
    mutating func wrappedList(_ opening: String, _ items: [String], _ closing: String) {
        guard !fitsOneLine(opening, items, closing) else { return }
        line(opening)
        fill(items.map { $0 + "," })
        line(closing)
    }

    /// `case LABEL: STATEMENT` on one line when it fits, else the statement on the next line.
    mutating func caseLine(_ label: String, _ statement: String) {
        let single = "case \(label): \(statement)"
        guard single.count > room else {
            line(single)
            return
        }
        line("case \(label):")
        depth += 1
        line(statement)
        depth -= 1
    }

    /// A declaration's signature: `opening` (`func f(`), the parameters, `closing` (`) async
    /// throws -> T`), on one line when it fits; otherwise the parameters fill the lines below,
    /// one level deeper, and `closing` starts a line of its own.
    mutating func signature(_ opening: String, _ parameters: [String], _ closing: String) {
        guard !fitsOneLine(opening, parameters, closing) else { return }
        line(opening)
        fill(parameters.enumerated().map { $1 + ($0 == parameters.count - 1 ? "" : ",") })
        line(closing)
    }

    /// Writes `opening`, the items joined by ", " and `closing` as one line and returns `true`
    /// when that fits (or there are no items to break between).
    private mutating func fitsOneLine(_ opening: String, _ items: [String], _ closing: String)
        -> Bool
    {
        let single = opening + items.joined(separator: ", ") + closing
        guard single.count <= room || items.isEmpty else { return false }
        line(single)
        return true
    }

    /// Writes `pieces` one level deeper, as many to a line as fit, separated by spaces.
    private mutating func fill(_ pieces: [String]) {
        depth += 1
        var current = ""
        for piece in pieces {
            if current.isEmpty {
                current = piece
            } else if current.count + 1 + piece.count <= room {
                current += " " + piece
            } else {
                line(current)
                current = piece
            }
        }
        line(current)
        depth -= 1
    }

    /// A block whose opening is `head` + `arguments` + `tail` (`if let value = try f(`, its
    /// arguments, `)`): on one line when it fits, else with the arguments on the next line and
    /// the brace on a line of its own, as swift-format writes a condition that wraps.
    mutating func wrappedBlock(
        _ head: String, _ arguments: [String], _ tail: String, _ body: (inout CodeWriter) -> Void
    ) {
        let single = head + arguments.joined(separator: ", ") + tail + " {"
        guard single.count > room else {
            block(head + arguments.joined(separator: ", ") + tail, body)
            return
        }
        wrapped(head, arguments, tail)
        line("{")
        depth += 1
        body(&self)
        depth -= 1
        line("}")
    }

    mutating func line(_ content: String = "") {
        if content.isEmpty {
            text += "\n"
        } else {
            text += String(repeating: "    ", count: depth) + content + "\n"
        }
    }

    mutating func doc(_ lines: [String]) {
        for docLine in lines { line(docLine.isEmpty ? "///" : "/// \(docLine)") }
    }

    /// A `switch`: its cases line up with the keyword, as Swift style has it.
    mutating func switchBlock(_ subject: String, _ body: (inout CodeWriter) -> Void) {
        line("switch \(subject) {")
        body(&self)
        line("}")
    }

    mutating func block(_ opening: String, _ body: (inout CodeWriter) -> Void) {
        line(opening + " {")
        depth += 1
        body(&self)
        depth -= 1
        line("}")
    }

    /// `do { … } catch { … }`.
    mutating func doCatch(
        _ body: (inout CodeWriter) -> Void, catch handler: (inout CodeWriter) -> Void
    ) {
        line("do {")
        depth += 1
        body(&self)
        depth -= 1
        line("} catch {")
        depth += 1
        handler(&self)
        depth -= 1
        line("}")
    }
}
