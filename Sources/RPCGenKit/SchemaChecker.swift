/// Checks a parsed file: names well formed and unique, field and enum numbers unique, every
/// type resolved, every enum starting at 0. Resolves message-or-enum type names in place.
struct SchemaChecker {
    var file: SchemaFile

    func check() throws(SchemaError) {
        try checkPackage()
        var declared: Set<String> = []
        let names =
            file.messages.map { ($0.name, $0.line) } + file.enums.map { ($0.name, $0.line) }
            + file.services.map { ($0.name, $0.line) }
        for (name, line) in names {
            try require(isUpperCamel(name), "'\(name)' must be UpperCamelCase", line: line)
            try require(
                declared.insert(name).inserted, "'\(name)' is declared twice", line: line)
        }
        for (name, line) in names where Self.reservedTypeNames.contains(name) {
            try require(false, "'\(name)' is reserved in the generated Swift", line: line)
        }
        let namespace = SwiftNames.namespace(file.package)
        for (name, line) in names where name == namespace {
            try require(
                false, "'\(name)' is the Swift namespace of package \(file.package); rename it",
                line: line)
        }
        for message in file.messages { try check(message) }
        try checkNoValueCycles()
        for decl in file.enums { try check(decl) }
        for service in file.services { try check(service) }
    }

    /// Names the generated code uses unqualified inside a package's namespace, and names
    /// Swift gives a meaning of its own.
    static let reservedTypeNames: Set<String> = [
        "String", "Bool", "Int", "Int32", "Int64", "UInt8", "UInt32", "UInt64", "Array", "Set",
        "Optional", "Result", "Error", "Codable", "Decoder", "Encoder", "Sendable", "Hashable",
        "Method", "Client", "ServiceProtocol", "CompactMessage", "MethodDescriptor",
        "CompactReader", "CompactWriter", "CompactDecodingError", "CompactJSONKey", "CompactTag",
        "RPCServerContext", "RPCStreamWriter", "RPCRouter", "RPCError", "CallOptions",
        "Any", "Self", "Type", "Protocol", "Never", "Void",
    ]

    /// Swift names a field's property may not have: `self`, and the members every generated
    /// message has (a field `compact_bytes` would make `init(compactBytes:)` the memberwise
    /// initializer, which takes the bytes as the field instead of decoding them).
    static let reservedPropertyNames: Set<String> = [
        "self", "Self", "Type", "hashValue", "compactBytes", "compactFieldPath", "jsonFieldNames",
        "schemaName",
    ]

    /// A message cannot hold itself by value, directly or through other messages (Swift
    /// structs would be infinitely large); `repeated` fields are arrays and may.
    private func checkNoValueCycles() throws(SchemaError) {
        var edges: [String: [String]] = [:]
        for message in file.messages {
            edges[message.name] = message.fields.compactMap { field in
                guard !field.isRepeated, case .message(let type) = resolved(field.type) else {
                    return nil
                }
                return type
            }
        }
        for message in file.messages {
            var stack = edges[message.name] ?? []
            var seen: Set<String> = []
            while let next = stack.popLast() {
                try require(
                    next != message.name,
                    "message \(message.name) contains itself; use a repeated field",
                    line: message.line)
                if seen.insert(next).inserted { stack += edges[next] ?? [] }
            }
        }
    }

    private func checkPackage() throws(SchemaError) {
        let parts = file.package.split(separator: ".", omittingEmptySubsequences: false)
        let valid = !parts.isEmpty && parts.allSatisfy { part in
            guard let first = part.first, first.isLowercase else { return false }
            return part.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) }
        }
        try require(
            valid, "package '\(file.package)' must be lower-case words joined by dots",
            line: file.packageLine)
    }

    private func check(_ message: MessageDecl) throws(SchemaError) {
        var names: Set<String> = []
        var generatedNames: Set<String> = []
        var numbers: Set<UInt32> = []
        for field in message.fields {
            let owner = "\(message.name).\(field.name)"
            let line = field.line
            try require(
                isLowerSnake(field.name), "field '\(owner)' must be lower_snake_case", line: line)
            try require(
                names.insert(field.name).inserted, "field '\(owner)' is declared twice", line: line)
            // `foo_1` and `foo1` differ in the schema but not in Swift or JSON.
            let swift = SwiftNames.property(field.name)
            let json = SwiftNames.json(field.name)
            try require(
                !Self.reservedPropertyNames.contains(swift.trimmingCharacters(in: ["`"])),
                "field '\(owner)' would be the Swift property '\(swift)', which every generated "
                    + "message already has or Swift reserves; rename it",
                line: line)
            try require(
                generatedNames.insert("swift:" + swift).inserted
                    && generatedNames.insert("json:" + json).inserted,
                "field '\(owner)' maps to the same Swift or JSON name as another field",
                line: line)
            try require(
                numbers.insert(field.number).inserted,
                "field number \(field.number) is used twice in \(message.name)", line: line)
            if case .message(let typeName) = field.type {
                let known = file.messages.contains { $0.name == typeName }
                    || file.enums.contains { $0.name == typeName }
                try require(
                    known, "field '\(owner)' has unknown type '\(typeName)'", line: line)
            }
            if field.isRepeated {
                let supported: Bool
                switch resolved(field.type) {
                case .string, .message: supported = true
                default: supported = false
                }
                try require(
                    supported, "field '\(owner)': repeated is supported for string and messages",
                    line: line)
            }
        }
    }

    private func check(_ decl: EnumDecl) throws(SchemaError) {
        try require(
            decl.values.first?.number == 0, "enum \(decl.name) must start with value 0",
            line: decl.line)
        var names: Set<String> = []
        var cases: Set<String> = []
        var numbers: Set<UInt32> = []
        for value in decl.values {
            let line = value.line
            try require(
                isUpperSnake(value.name), "enum value '\(value.name)' must be UPPER_SNAKE",
                line: line)
            try require(
                names.insert(value.name).inserted, "'\(value.name)' is declared twice", line: line)
            try require(
                SwiftNames.enumCase(value.name) != "unrecognized",
                "enum value '\(value.name)' is reserved (numbers the schema lacks)", line: line)
            try require(
                cases.insert(SwiftNames.enumCase(value.name)).inserted,
                "enum value '\(value.name)' maps to the same Swift case as another value",
                line: line)
            try require(
                numbers.insert(value.number).inserted,
                "enum \(decl.name) uses number \(value.number) twice", line: line)
        }
    }

    private func check(_ service: ServiceDecl) throws(SchemaError) {
        var names: Set<String> = []
        for method in service.methods {
            let line = method.line
            try require(
                isUpperCamel(method.name), "method '\(method.name)' must be UpperCamelCase",
                line: line)
            try require(
                names.insert(method.name).inserted, "'\(method.name)' is declared twice",
                line: line)
            for type in [method.input, method.output] {
                try require(
                    file.messages.contains { $0.name == type },
                    "method '\(method.name)' names unknown message '\(type)'", line: line)
            }
        }
    }

    /// The parser calls every non-scalar type a message; enums are told apart here.
    func resolved(_ type: FieldType) -> FieldType {
        if case .message(let name) = type, file.enums.contains(where: { $0.name == name }) {
            return .enumeration(name)
        }
        return type
    }

    private func require(_ condition: Bool, _ message: String, line: Int = 0) throws(SchemaError)
    {
        guard condition else { throw SchemaError(path: file.path, line: line, message: message) }
    }

    private func isUpperCamel(_ name: String) -> Bool {
        guard let first = name.first, first.isUppercase else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    private func isLowerSnake(_ name: String) -> Bool {
        guard let first = name.first, first.isLowercase else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }
            && !name.hasSuffix("_") && !name.contains("__")
    }

    private func isUpperSnake(_ name: String) -> Bool {
        guard let first = name.first, first.isUppercase else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") }
    }
}

extension SchemaFile {
    /// The file with every field's enum types told apart from message types.
    public var resolvingTypes: SchemaFile {
        var copy = self
        let checker = SchemaChecker(file: self)
        for m in copy.messages.indices {
            for f in copy.messages[m].fields.indices {
                copy.messages[m].fields[f].type = checker.resolved(copy.messages[m].fields[f].type)
            }
        }
        return copy
    }
}
