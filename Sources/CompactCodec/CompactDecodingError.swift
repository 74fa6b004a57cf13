/// Why bytes could not be decoded as a message.
///
/// Every way hostile input can be wrong has its own code, and every error says where (the byte
/// offset) and, when known, which field, so that a caller's log line is enough to find the bug.
/// New codes may be added; match on ``code`` with a `default` clause.
public struct CompactDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case truncated, lengthPastEnd, varintTooLong, invalidWireType, invalidFieldNumber
            case wrongWireType, depthLimitExceeded, invalidUTF8, valueOutOfRange
            case fieldLimitExceeded
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The input ended in the middle of a tag, varint or fixed-width value.
        public static let truncated = Code(.truncated)
        /// A length prefix declares more bytes than remain in the enclosing message.
        public static let lengthPastEnd = Code(.lengthPastEnd)
        /// A varint runs past ten bytes or past 64 bits.
        public static let varintTooLong = Code(.varintTooLong)
        /// A tag carries wire type 3, 4, 6 or 7, which this format does not use.
        public static let invalidWireType = Code(.invalidWireType)
        /// A tag carries field number zero or one past 2^29 - 1.
        public static let invalidFieldNumber = Code(.invalidFieldNumber)
        /// A known field arrived with a wire type other than its schema's.
        public static let wrongWireType = Code(.wrongWireType)
        /// Nested messages go deeper than ``CompactLimits/nestingDepthMax``.
        public static let depthLimitExceeded = Code(.depthLimitExceeded)
        /// A string field does not hold valid UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// A varint does not fit the field's type (a `uint32` past 2^32 - 1, a `bool` past 1).
        public static let valueOutOfRange = Code(.valueOutOfRange)
        /// The message holds more fields than ``CompactLimits/fieldsMax``, those of the
        /// messages within it included.
        public static let fieldLimitExceeded = Code(.fieldLimitExceeded)

        public var description: String { String(describing: value) }
    }

    /// The kind of failure.
    public let code: Code
    /// A sentence for humans, naming the field and offset where known.
    public let message: String
    /// The byte offset, from the start of the outermost message, of the first byte of the
    /// element at fault: the tag, varint, length prefix or fixed-width value, or the contents of
    /// the string or nested message (see ``CompactReader`` and `Protocol/WIRE.md` §5.9).
    public let offset: Int
    /// The field at fault from the outermost message, by the JSON names of the schema
    /// (`lines[0].sku`); empty when no field is known (a tag cut short, say), or when the
    /// message was decoded by code that names none.
    public private(set) var fieldPath: String = ""

    /// Creates an error.
    public init(code: Code, message: String, offset: Int) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    /// This error, raised within `field` of a message (`sku`, or `lines[0]` for the element
    /// of a repeated field being read): generated decoders add their field as the error
    /// passes up, so the path reads from the outermost message down. `nil`: unchanged.
    public func inField(_ field: String?) -> CompactDecodingError {
        guard let field else { return self }
        var error = self
        error.fieldPath = fieldPath.isEmpty ? field : field + "." + fieldPath
        return error
    }

    public var description: String {
        fieldPath.isEmpty
            ? "\(message) (at byte \(offset))" : "\(fieldPath): \(message) (at byte \(offset))"
    }
}
