/// Call metadata: the ordinary (non-pseudo, non-reserved) header fields of a request.
///
/// Names are lower case ASCII. Several values under one name keep their order.
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

    private var fields: [Field]

    /// Creates metadata from name and value pairs.
    public init(_ pairs: [(String, String)] = []) {
        fields = pairs.map { Field(name: $0.0.lowercased(), value: $0.1) }
    }

    /// Appends a value.
    public mutating func add(_ name: String, _ value: String) {
        fields.append(Field(name: name.lowercased(), value: value))
    }

    /// The first value under `name`, or `nil`.
    public subscript(name: String) -> String? {
        let wanted = name.lowercased()
        return fields.first { $0.name == wanted }?.value
    }

    /// The number of fields.
    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
}
