/// Parses one `.rpc` file into a ``SchemaFile`` and checks it (see `Protocol/README.md` for
/// the language).
public struct SchemaParser {
    private let path: String
    private var tokens: [SchemaLexer.Token]
    private var index = 0
    private var pendingDoc: [String] = []

    /// Parses and checks schema text.
    ///
    /// - Parameters:
    ///   - text: the file's contents.
    ///   - path: the path used in error messages and in generated file headers.
    /// - Throws: ``SchemaError`` naming the line of the first problem.
    public static func parse(_ text: String, path: String) throws(SchemaError) -> SchemaFile {
        var parser = SchemaParser(path: path, tokens: try SchemaLexer.tokens(of: text, path: path))
        let file = try parser.parseFile()
        try SchemaChecker(file: file).check()
        return file
    }

    private init(path: String, tokens: [SchemaLexer.Token]) {
        self.path = path
        self.tokens = tokens
    }

    // MARK: Declarations

    private mutating func parseFile() throws(SchemaError) -> SchemaFile {
        try expectKeyword("package")
        let packageLine = peek()?.line ?? 0
        let package = try identifier("package name")
        try expectSymbol(";")
        var file = SchemaFile(
            path: path, package: package, messages: [], enums: [], services: [],
            packageLine: packageLine)
        while peek() != nil {
            let doc = takeDoc()
            switch try identifier("message, enum or service") {
            case "message": file.messages.append(try parseMessage(doc: doc))
            case "enum": file.enums.append(try parseEnum(doc: doc))
            case "service": file.services.append(try parseService(doc: doc))
            case Self.idempotent:
                index -= 1
                throw misplacedIdempotent()
            case let other: throw error("expected message, enum or service, found '\(other)'")
            }
        }
        return file
    }

    private mutating func parseMessage(doc: [String]) throws(SchemaError) -> MessageDecl {
        let line = currentLine
        var message = MessageDecl(name: try identifier("message name"), doc: doc, fields: [])
        message.line = line
        try expectSymbol("{")
        while !(try takeSymbol("}")) {
            let fieldDoc = takeDoc()
            let fieldLine = currentLine
            var typeName = try identifier("field type")
            if typeName == Self.idempotent {
                index -= 1
                throw misplacedIdempotent()
            }
            let isRepeated = typeName == "repeated"
            if isRepeated { typeName = try identifier("field type") }
            let name = try identifier("field name")
            try expectSymbol("=")
            let number = try fieldNumber()
            try expectSymbol(";")
            let type = FieldType.scalars[typeName] ?? .message(typeName)  // resolved by checker
            message.fields.append(
                FieldDecl(
                    name: name, line: fieldLine, doc: fieldDoc, type: type, number: number,
                    isRepeated: isRepeated))
        }
        return message
    }

    private mutating func parseEnum(doc: [String]) throws(SchemaError) -> EnumDecl {
        let line = currentLine
        var decl = EnumDecl(name: try identifier("enum name"), doc: doc, values: [])
        decl.line = line
        try expectSymbol("{")
        while !(try takeSymbol("}")) {
            let valueDoc = takeDoc()
            let valueLine = currentLine
            let name = try identifier("enum value name")
            try expectSymbol("=")
            let number = try fieldNumber(allowZero: true)
            try expectSymbol(";")
            decl.values.append(
                EnumValueDecl(name: name, line: valueLine, doc: valueDoc, number: number))
        }
        return decl
    }

    private mutating func parseService(doc: [String]) throws(SchemaError) -> ServiceDecl {
        let line = currentLine
        var service = ServiceDecl(name: try identifier("service name"), doc: doc, methods: [])
        service.line = line
        try expectSymbol("{")
        while !(try takeSymbol("}")) {
            let methodDoc = takeDoc()
            let methodLine = currentLine
            let isIdempotent = try takeIdempotent()
            try expectKeyword("rpc")
            if peek()?.kind == .identifier(Self.idempotent) { throw misplacedIdempotent() }
            let name = try identifier("method name")
            try expectSymbol("(")
            let input = try identifier("request type")
            guard input != "stream" else {
                throw error(
                    "client-streaming methods are not supported; only the response may be a stream")
            }
            try expectSymbol(")")
            try expectKeyword("returns")
            try expectSymbol("(")
            // `stream` cannot name a message (message names are UpperCamelCase).
            var output = try identifier("response type")
            let isServerStreaming = output == "stream"
            if isServerStreaming { output = try identifier("response type") }
            try expectSymbol(")")
            try expectSymbol(";")
            service.methods.append(
                MethodDecl(
                    name: name, line: methodLine, doc: methodDoc, input: input, output: output,
                    isServerStreaming: isServerStreaming, isIdempotent: isIdempotent))
        }
        return service
    }

    // MARK: `idempotent`

    /// The mark that starts a method that may be retried:
    /// `idempotent rpc Name(…) returns (…);`. A keyword only there, so a field may still be
    /// called `idempotent`.
    private static let idempotent = "idempotent"

    /// Takes `idempotent` before a method's `rpc`, if it is there.
    private mutating func takeIdempotent() throws(SchemaError) -> Bool {
        guard peek()?.kind == .identifier(Self.idempotent) else { return false }
        _ = takeDoc()
        index += 1
        if peek()?.kind == .identifier(Self.idempotent) {
            _ = takeDoc()
            throw error("'idempotent' is given twice; once before 'rpc' is enough")
        }
        return true
    }

    /// The error for `idempotent` anywhere but before a method's `rpc`, at the word itself.
    private mutating func misplacedIdempotent() -> SchemaError {
        _ = takeDoc()
        return error(
            "'idempotent' marks a method and goes before its 'rpc': "
                + "idempotent rpc Name(Request) returns (Response);")
    }

    // MARK: Tokens

    /// The line of the next token (past any doc comment).
    private var currentLine: Int { peek()?.line ?? tokens.last?.line ?? 1 }

    private func peek() -> SchemaLexer.Token? {
        var probe = index
        while probe < tokens.count, case .doc = tokens[probe].kind { probe += 1 }
        return probe < tokens.count ? tokens[probe] : nil
    }

    /// Collects the doc comment lines before the next declaration.
    private mutating func takeDoc() -> [String] {
        var doc: [String] = []
        while index < tokens.count, case .doc(let text) = tokens[index].kind {
            doc.append(text)
            index += 1
        }
        return doc
    }

    private mutating func next(_ expected: String) throws(SchemaError) -> SchemaLexer.Kind {
        _ = takeDoc()  // a doc comment in an odd place documents nothing
        guard index < tokens.count else { throw error("expected \(expected), found end of file") }
        defer { index += 1 }
        return tokens[index].kind
    }

    private mutating func identifier(_ expected: String) throws(SchemaError) -> String {
        guard case .identifier(let name) = try next(expected) else {
            index -= 1
            throw error("expected \(expected)")
        }
        return name
    }

    private mutating func fieldNumber(allowZero: Bool = false) throws(SchemaError) -> UInt32 {
        guard case .number(let value) = try next("a number") else {
            index -= 1
            throw error("expected a number")
        }
        let lowest: UInt64 = allowZero ? 0 : 1
        let highest: UInt64 = allowZero ? UInt64(Int32.max) : UInt64((1 << 29) - 1)
        guard value >= lowest, value <= highest else {
            throw error("number \(value) is outside \(lowest)...\(highest)")
        }
        return UInt32(value)
    }

    private mutating func expectKeyword(_ keyword: String) throws(SchemaError) {
        let found = try identifier("'\(keyword)'")
        guard found == keyword else { throw error("expected '\(keyword)', found '\(found)'") }
    }

    private mutating func expectSymbol(_ symbol: Character) throws(SchemaError) {
        guard try takeSymbol(symbol) else {
            // `rpc M(A) returns (B) idempotent;`, as other IDLs would put it.
            if peek()?.kind == .identifier(Self.idempotent) { throw misplacedIdempotent() }
            throw error("expected '\(symbol)'")
        }
    }

    private mutating func takeSymbol(_ symbol: Character) throws(SchemaError) -> Bool {
        guard let token = peek() else { throw error("expected '\(symbol)', found end of file") }
        guard token.kind == .symbol(symbol) else { return false }
        _ = takeDoc()
        index += 1
        return true
    }

    /// An error at the current token (at the last one at the end of the file).
    private func error(_ message: String) -> SchemaError {
        let token = index < tokens.count ? tokens[index] : tokens.last
        return SchemaError(
            path: path, line: token?.line ?? 1, column: token?.column ?? 1, message: message)
    }
}
