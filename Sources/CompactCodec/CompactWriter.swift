/// Appends fields to a growing byte array, in the encoding `Protocol/WIRE.md` specifies.
///
/// Generated `encode(to:)` methods call the `write…Field` methods in field-number order and
/// leave out fields that hold their default value, which makes the encoding deterministic: the
/// same value always gives the same bytes.
///
/// ```swift
/// var writer = CompactWriter()
/// writer.writeStringField(1, "m1")
/// writer.writeInt64Field(4, 1999)
/// let bytes = writer.bytes
/// ```
public struct CompactWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// Creates an empty writer with room for `capacity` bytes.
    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    // MARK: Primitives

    /// Appends `value` as a base-128 varint: seven bits a byte, least significant first.
    public mutating func writeVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    /// Appends a field tag.
    public mutating func writeTag(_ fieldNumber: UInt32, _ wireType: CompactWireType) {
        writeVarint(UInt64(CompactTag(fieldNumber: fieldNumber, wireType: wireType).rawValue))
    }

    /// Appends a length prefix and the bytes.
    public mutating func writeLengthDelimited(_ payload: some Collection<UInt8>) {
        writeVarint(UInt64(payload.count))
        bytes.append(contentsOf: payload)
    }

    // MARK: Fields (default values are left out)

    /// Writes a `string` field unless it is empty.
    public mutating func writeStringField(_ fieldNumber: UInt32, _ value: String) {
        guard !value.isEmpty else { return }
        writeTag(fieldNumber, .lengthDelimited)
        writeLengthDelimited(value.utf8)
    }

    /// Writes a `bytes` field unless it is empty.
    public mutating func writeBytesField(_ fieldNumber: UInt32, _ value: [UInt8]) {
        guard !value.isEmpty else { return }
        writeTag(fieldNumber, .lengthDelimited)
        writeLengthDelimited(value)
    }

    /// Writes a `bool` field unless it is false.
    public mutating func writeBoolField(_ fieldNumber: UInt32, _ value: Bool) {
        guard value else { return }
        writeTag(fieldNumber, .varint)
        writeVarint(1)
    }

    /// Writes an `int64` field, zig-zag encoded, unless it is zero.
    public mutating func writeInt64Field(_ fieldNumber: UInt32, _ value: Int64) {
        guard value != 0 else { return }
        writeTag(fieldNumber, .varint)
        writeVarint(ZigZag.encode(value))
    }

    /// Writes an `int32` field, zig-zag encoded, unless it is zero.
    public mutating func writeInt32Field(_ fieldNumber: UInt32, _ value: Int32) {
        writeInt64Field(fieldNumber, Int64(value))
    }

    /// Writes a `uint64` field unless it is zero.
    public mutating func writeUInt64Field(_ fieldNumber: UInt32, _ value: UInt64) {
        guard value != 0 else { return }
        writeTag(fieldNumber, .varint)
        writeVarint(value)
    }

    /// Writes a `uint32` field unless it is zero.
    public mutating func writeUInt32Field(_ fieldNumber: UInt32, _ value: UInt32) {
        writeUInt64Field(fieldNumber, UInt64(value))
    }

    /// Writes an enum field by its number unless it is zero (the enum's default).
    public mutating func writeEnumField(_ fieldNumber: UInt32, _ value: some CompactEnum) {
        writeUInt64Field(fieldNumber, UInt64(value.rawValue))
    }

    /// Writes a nested message field unless it is `nil`. A present but empty message is written
    /// (as length zero), so presence survives a round trip.
    public mutating func writeMessageField(_ fieldNumber: UInt32, _ value: (some CompactMessage)?) {
        guard let value else { return }
        writeTag(fieldNumber, .lengthDelimited)
        var nested = CompactWriter()
        value.encode(to: &nested)
        writeLengthDelimited(nested.bytes)
    }

    /// Writes one element per entry of a `repeated` message field.
    public mutating func writeRepeatedMessageField(
        _ fieldNumber: UInt32, _ values: [some CompactMessage]
    ) {
        for value in values { writeMessageField(fieldNumber, value) }
    }

    /// Writes one element per entry of a `repeated string` field.
    public mutating func writeRepeatedStringField(_ fieldNumber: UInt32, _ values: [String]) {
        for value in values {
            writeTag(fieldNumber, .lengthDelimited)
            writeLengthDelimited(value.utf8)
        }
    }
}

/// Zig-zag mapping of signed to unsigned integers, so that small negative numbers stay short:
/// 0 → 0, -1 → 1, 1 → 2, -2 → 3, …
public enum ZigZag {
    /// Maps a signed value to its zig-zag form.
    @inlinable
    public static func encode(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    /// Maps a zig-zag value back to the signed value.
    @inlinable
    public static func decode(_ value: UInt64) -> Int64 {
        Int64(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }
}
