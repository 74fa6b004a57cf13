import CompactCodec
import Foundation

/// One field of a message, as the schema declares it. Used by tools (`cashback-probe describe`).
public struct FieldSchema: Hashable, Sendable {
    /// The schema name, e.g. `member_id`.
    public let name: String
    /// The JSON name, e.g. `memberId`.
    public let jsonName: String
    /// The field number.
    public let number: UInt32
    /// The type as the schema spells it, e.g. `int64` or `cashback.v1.AccrualState`.
    public let type: String
    /// Whether the field is `repeated`.
    public let isRepeated: Bool

    public init(name: String, jsonName: String, number: UInt32, type: String, isRepeated: Bool) {
        self.name = name
        self.jsonName = jsonName
        self.number = number
        self.type = type
        self.isRepeated = isRepeated
    }
}

/// A message type with its fields and its JSON mapping, usable without knowing the Swift type.
public struct MessageSchema: Sendable {
    /// The fully qualified name, e.g. `cashback.v1.GetBalanceRequest`.
    public let name: String
    /// The fields in schema order.
    public let fields: [FieldSchema]
    /// The Swift type, for code that handles every message alike (the codec fuzz target in
    /// `Fuzz/` decodes and re-encodes each type of `SchemaCatalog`).
    public let messageType: any CompactMessage.Type
    /// Converts a JSON object to the message's compact encoding.
    public let compactFromJSON: @Sendable ([UInt8]) throws -> [UInt8]
    /// Converts a compact encoding to pretty JSON with sorted keys.
    public let jsonFromCompact: @Sendable ([UInt8]) throws -> [UInt8]

    /// Creates the schema of `type`.
    public init<M: CompactMessage & Codable>(_ type: M.Type, fields: [FieldSchema]) {
        self.name = M.schemaName
        self.fields = fields
        self.messageType = M.self
        self.compactFromJSON = { json in
            try JSONDecoder().decode(M.self, from: Data(json)).compactBytes()
        }
        self.jsonFromCompact = { bytes in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            return Array(try encoder.encode(try M(compactBytes: bytes)))
        }
    }
}

/// One method: its descriptor, documentation and message schemas.
public struct MethodSchema: Sendable {
    public let descriptor: MethodDescriptor
    public let doc: [String]
    public let request: MessageSchema
    public let response: MessageSchema
    /// Whether the server answers with a stream of `response` messages.
    public let isServerStreaming: Bool

    public init(
        descriptor: MethodDescriptor, doc: [String], request: MessageSchema,
        response: MessageSchema, isServerStreaming: Bool = false
    ) {
        self.descriptor = descriptor
        self.doc = doc
        self.request = request
        self.response = response
        self.isServerStreaming = isServerStreaming
    }
}

/// One service and its methods.
public struct ServiceSchema: Sendable {
    public let name: String
    public let doc: [String]
    public let methods: [MethodSchema]

    public init(name: String, doc: [String], methods: [MethodSchema]) {
        self.name = name
        self.doc = doc
        self.methods = methods
    }
}
