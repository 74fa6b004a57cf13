/// The parsed schema: what `.rpc` files declare, before any Swift is chosen.
///
/// This is the neutral model between the parser and the renderers (STYLE §8): the parser
/// builds it and checks it, the renderers only read it.
public struct SchemaFile: Hashable, Sendable {
    /// The path the file was read from, relative to the schema root, e.g.
    /// `cashback/v1/wallet.rpc`.
    public var path: String
    /// The package, e.g. `cashback.v1`.
    public var package: String
    public var messages: [MessageDecl]
    public var enums: [EnumDecl]
    public var services: [ServiceDecl]
    /// The line of the `package` statement, for error messages.
    public var packageLine: Int = 0
}

/// A `message` declaration.
public struct MessageDecl: Hashable, Sendable {
    public var name: String
    /// The line the declaration starts on, for error messages.
    public var line: Int = 0
    public var doc: [String]
    public var fields: [FieldDecl]
}

/// One field of a message.
public struct FieldDecl: Hashable, Sendable {
    public var name: String
    /// The line the declaration starts on, for error messages.
    public var line: Int = 0
    public var doc: [String]
    public var type: FieldType
    public var number: UInt32
    public var isRepeated: Bool
}

/// A field's type.
public enum FieldType: Hashable, Sendable {
    case string, bytes, bool, int32, int64, uint32, uint64
    /// An enum declared in the same package.
    case enumeration(String)
    /// A message declared in the same package.
    case message(String)

    /// The scalar keywords of the schema language.
    static let scalars: [String: FieldType] = [
        "string": .string, "bytes": .bytes, "bool": .bool, "int32": .int32, "int64": .int64,
        "uint32": .uint32, "uint64": .uint64,
    ]

    /// How the type is spelled in the schema.
    public var schemaSpelling: String {
        switch self {
        case .string: "string"
        case .bytes: "bytes"
        case .bool: "bool"
        case .int32: "int32"
        case .int64: "int64"
        case .uint32: "uint32"
        case .uint64: "uint64"
        case .enumeration(let name), .message(let name): name
        }
    }
}

/// An `enum` declaration.
public struct EnumDecl: Hashable, Sendable {
    public var name: String
    /// The line the declaration starts on, for error messages.
    public var line: Int = 0
    public var doc: [String]
    public var values: [EnumValueDecl]
}

/// One value of an enum.
public struct EnumValueDecl: Hashable, Sendable {
    public var name: String
    /// The line the declaration starts on, for error messages.
    public var line: Int = 0
    public var doc: [String]
    public var number: UInt32
}

/// A `service` declaration.
public struct ServiceDecl: Hashable, Sendable {
    public var name: String
    /// The line the declaration starts on, for error messages.
    public var line: Int = 0
    public var doc: [String]
    public var methods: [MethodDecl]
}

/// One method of a service: unary, or server-streaming (`returns (stream Output)`).
public struct MethodDecl: Hashable, Sendable {
    public var name: String
    /// The line the declaration starts on, for error messages.
    public var line: Int = 0
    public var doc: [String]
    public var input: String
    public var output: String
    /// Whether the server answers with a stream of `output` messages.
    public var isServerStreaming = false
    /// Whether the declaration starts with `idempotent`: the same request sent again has no
    /// effect beyond the first, so clients may retry it.
    public var isIdempotent = false
}

/// A schema error, with the place it was found.
public struct SchemaError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int
    /// The column of the token at fault, from 1; `nil` for errors about a whole declaration
    /// (the checker's), which name its first line.
    public var column: Int? = nil
    public var message: String

    /// `path:line:column: message`, or `path:line: message` without a column.
    public var description: String {
        if let column {
            "\(path):\(line):\(column): \(message)"
        } else {
            "\(path):\(line): \(message)"
        }
    }
}
