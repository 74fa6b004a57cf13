/// How a field's value is laid out on the wire, carried in the low three bits of every tag.
///
/// The numbering is fixed forever: a decoder skips unknown fields by their wire type alone, so a
/// value that changed meaning would make old and new peers disagree on where a field ends.
/// See `Protocol/WIRE.md`, "Tags and wire types".
public enum CompactWireType: UInt8, Sendable, Hashable {
    /// A base-128 varint: `bool`, `uint32`, `uint64`, enums, and zig-zag `int32`/`int64`.
    case varint = 0
    /// Eight bytes, little-endian. Reserved for fixed-width 64-bit values; skipped when unknown.
    case fixed64 = 1
    /// A varint byte count followed by that many bytes: strings, bytes, nested messages (and,
    /// once the schema language supports them, packed repeated scalars).
    case lengthDelimited = 2
    /// Four bytes, little-endian. Reserved for fixed-width 32-bit values; skipped when unknown.
    case fixed32 = 5
}

/// A decoded field tag: the field number and the wire type of the value that follows.
public struct CompactTag: Sendable, Hashable {
    /// The largest field number a schema may use (29 bits, as the tag is a 32-bit varint).
    public static let fieldNumberMax: UInt32 = (1 << 29) - 1

    /// The field number, `1...fieldNumberMax`.
    public let fieldNumber: UInt32
    /// How the value that follows is laid out.
    public let wireType: CompactWireType

    /// Creates a tag. Field number zero and numbers past ``fieldNumberMax`` are programming
    /// errors in a schema and trap.
    public init(fieldNumber: UInt32, wireType: CompactWireType) {
        precondition(fieldNumber >= 1 && fieldNumber <= Self.fieldNumberMax, "bad field number")
        self.fieldNumber = fieldNumber
        self.wireType = wireType
    }

    /// The tag as the varint value written before the field.
    public var rawValue: UInt32 { fieldNumber << 3 | UInt32(wireType.rawValue) }
}
