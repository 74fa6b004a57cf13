/// Call metadata: the ordinary (non-pseudo, non-reserved) header fields of a request.
///
/// Names are lower case ASCII. Several values under one name keep their order.
///
/// A server transport hands over the fields as they arrived, packed in one byte array
/// (``Packed``); no `String` is made of them unless a handler reads them, and a lookup by
/// name (``subscript(_:)``) decodes only the value it finds.
public struct Metadata: Hashable, Sendable, Sequence {
    /// One name and value.
    public struct Field: Hashable, Sendable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Header fields as a transport received them, appended one by one into one byte array:
    /// per field, the name's and the value's lengths (4 bytes each, little-endian), then the
    /// name's bytes (lower case, as HTTP/2 requires) and the value's.
    public struct Packed: Sendable {
        fileprivate var bytes: [UInt8] = []
        /// The number of fields.
        public private(set) var count = 0

        /// Creates an empty list.
        public init() {}

        /// Appends one field; `name` must already be lower case (HTTP/2 field names are).
        public mutating func append(
            name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>
        ) {
            if bytes.isEmpty { bytes.reserveCapacity(256) }
            Self.appendLength(name.count, to: &bytes)
            Self.appendLength(value.count, to: &bytes)
            bytes.append(contentsOf: name)
            bytes.append(contentsOf: value)
            count += 1
        }

        private static func appendLength(_ length: Int, to bytes: inout [UInt8]) {
            precondition(length <= Int(UInt32.max), "a header field longer than 4 GiB")
            let value = UInt32(length)
            for shift in stride(from: 0, to: 32, by: 8) {
                bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
            }
        }

        /// Calls `body` with each field's name and value bytes, in order, until it returns
        /// `false`.
        fileprivate func forEachField(
            _ body: (ArraySlice<UInt8>, ArraySlice<UInt8>) -> Bool
        ) {
            var index = 0
            while index < bytes.count {
                let nameCount = Self.length(in: bytes, at: index)
                let valueCount = Self.length(in: bytes, at: index + 4)
                let nameStart = index + 8
                let valueStart = nameStart + nameCount
                index = valueStart + valueCount
                guard
                    body(bytes[nameStart..<valueStart], bytes[valueStart..<index])
                else { return }
            }
        }

        private static func length(in bytes: [UInt8], at index: Int) -> Int {
            var value = 0
            for offset in 0..<4 { value |= Int(bytes[index + offset]) << (8 * offset) }
            return value
        }
    }

    private enum Storage: Sendable {
        case fields([Field])
        case packed(Packed)
    }

    private var storage: Storage

    /// Creates metadata from name and value pairs.
    public init(_ pairs: [(String, String)] = []) {
        storage = .fields(pairs.map { Field(name: $0.0.lowercased(), value: $0.1) })
    }

    /// Metadata over fields as a transport received them; nothing is decoded yet.
    public init(_ packed: Packed) {
        storage = .packed(packed)
    }

    /// Every field, decoded.
    private var fields: [Field] {
        switch storage {
        case .fields(let fields):
            return fields
        case .packed(let packed):
            var fields: [Field] = []
            fields.reserveCapacity(packed.count)
            packed.forEachField { name, value in
                fields.append(
                    Field(
                        name: String(decoding: name, as: UTF8.self),
                        value: String(decoding: value, as: UTF8.self)))
                return true
            }
            return fields
        }
    }

    /// Appends a value.
    public mutating func add(_ name: String, _ value: String) {
        var fields = self.fields
        fields.append(Field(name: name.lowercased(), value: value))
        storage = .fields(fields)
    }

    /// The first value under `name`, or `nil`.
    public subscript(name: String) -> String? {
        // Names are looked up once or twice per call: no copy when already lower case.
        var wanted = name
        for byte in name.utf8 where byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") {
            wanted = name.lowercased()
            break
        }
        switch storage {
        case .fields(let fields):
            return fields.first { $0.name == wanted }?.value
        case .packed:
            return valueBytes(lowercasedName: wanted).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// The bytes of the first value under `name`, which must be in lower case, as the
    /// transport received them: no `String` is made (for a look at a value on every call,
    /// such as an access log's request id). `nil` when there is none.
    public func valueBytes(lowercasedName name: String) -> ArraySlice<UInt8>? {
        switch storage {
        case .fields(let fields):
            return fields.first { $0.name == name }.map { ArraySlice($0.value.utf8) }
        case .packed(let packed):
            var name = name
            return name.withUTF8 { wanted in
                var found: ArraySlice<UInt8>?
                packed.forEachField { fieldName, value in
                    guard fieldName.count == wanted.count, fieldName.elementsEqual(wanted) else {
                        return true
                    }
                    found = value
                    return false
                }
                return found
            }
        }
    }

    /// The number of fields.
    public var count: Int {
        switch storage {
        case .fields(let fields): fields.count
        case .packed(let packed): packed.count
        }
    }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    public static func == (lhs: Metadata, rhs: Metadata) -> Bool {
        lhs.fields == rhs.fields
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(fields)
    }
}
