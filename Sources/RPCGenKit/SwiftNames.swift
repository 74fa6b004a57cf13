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
    private(set) var text = ""
    private var depth = 0

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
