/// Reads fields from an encoded message, checking every length against what remains.
///
/// The reader never traps and never allocates more than the input holds: a declared length is
/// compared with the bytes left in the enclosing message before anything is read, and nesting is
/// capped by ``CompactLimits/nestingDepthMax``.
///
/// Generated decoders loop over ``readTag()`` and dispatch on the field number, reading each
/// value right after its tag:
///
/// ```swift
/// while let tag = try reader.readTag() {
///     switch tag.fieldNumber {
///     case 1: memberID = try reader.readString(tag)
///     default: try reader.skipField(tag)
///     }
/// }
/// ```
///
/// Every error's ``CompactDecodingError/offset`` is the offset of the first byte of the element
/// at fault: the tag (a bad field number or wire type, a wire type the field's schema type
/// does not use, or the first field past ``CompactLimits/fieldsMax``), the varint (too long,
/// cut short, or out of the field's range), the length prefix (past the end), the fixed-width
/// value (cut short), or the contents of a string (not UTF-8) or nested message (too deep).
/// `Protocol/WIRE.md` §5.9 states the same rule.
public struct CompactReader: Sendable {
    private let bytes: [UInt8]
    /// Index of the next byte to read.
    private var index: Int
    /// One past the last byte of the message being read (nested messages narrow it).
    private var end: Int
    private var depth: Int
    /// Fields read so far, in every message of this one.
    private var fields = 0
    private let limits: CompactLimits
    /// Offset of the last tag read: a value read with the wrong wire type is reported there.
    private var tagStart: Int

    /// Creates a reader over one complete message.
    public init(bytes: [UInt8], limits: CompactLimits = .default) {
        self.bytes = bytes
        self.index = 0
        self.end = bytes.count
        self.depth = 0
        self.limits = limits
        self.tagStart = 0
    }

    /// Whether every byte of the current message has been read.
    public var isAtEnd: Bool { index >= end }

    // MARK: Tags

    /// Reads the next tag, or returns `nil` at the end of the current message.
    ///
    /// - Throws: ``CompactDecodingError`` for a truncated tag, field number zero or past 2^29 - 1,
    ///   or a wire type this format does not use.
    public mutating func readTag() throws(CompactDecodingError) -> CompactTag? {
        guard index < end else { return nil }
        let start = index
        tagStart = start
        fields += 1
        guard fields <= limits.fieldsMax else {
            throw error(
                .fieldLimitExceeded,
                "the message holds more than \(limits.fieldsMax) fields, nested ones included",
                at: start)
        }
        let raw = try readVarint()
        let fieldNumber = raw >> 3
        guard fieldNumber >= 1, fieldNumber <= UInt64(CompactTag.fieldNumberMax) else {
            throw error(.invalidFieldNumber, "field number \(fieldNumber) is invalid", at: start)
        }
        guard let wireType = CompactWireType(rawValue: UInt8(raw & 7)) else {
            throw error(.invalidWireType, "wire type \(raw & 7) is not used", at: start)
        }
        return CompactTag(fieldNumber: UInt32(fieldNumber), wireType: wireType)
    }

    /// Skips the value of a field the schema does not know.
    public mutating func skipField(_ tag: CompactTag) throws(CompactDecodingError) {
        switch tag.wireType {
        case .varint: _ = try readVarint()
        case .fixed64: try skipBytes(8, field: tag.fieldNumber)
        case .fixed32: try skipBytes(4, field: tag.fieldNumber)
        case .lengthDelimited:
            let length = try readLength(field: tag.fieldNumber)
            index += length
        }
    }

    // MARK: Scalars

    /// Reads a `string` field's value, which must be valid UTF-8.
    public mutating func readString(_ tag: CompactTag) throws(CompactDecodingError) -> String {
        try expect(tag, .lengthDelimited)
        let length = try readLength(field: tag.fieldNumber)
        let start = index
        index += length
        let value = bytes[start..<index].withUnsafeBufferPointer { utf8 in
            // ASCII (ids, currency codes: nearly every string) is valid UTF-8 as it is, and
            // `String(decoding:)` copies it without the generic validation, which looked up
            // type metadata at run time on every string.
            utf8.allSatisfy { $0 < 0x80 }
                ? String(decoding: utf8, as: UTF8.self) : String(validating: utf8, as: UTF8.self)
        }
        guard let value else {
            throw error(.invalidUTF8, "field \(tag.fieldNumber) is not valid UTF-8", at: start)
        }
        return value
    }

    /// Reads a `bytes` field's value.
    public mutating func readBytes(_ tag: CompactTag) throws(CompactDecodingError) -> [UInt8] {
        try expect(tag, .lengthDelimited)
        let length = try readLength(field: tag.fieldNumber)
        let start = index
        index += length
        return Array(bytes[start..<index])
    }

    /// Reads a `bool` field's value: varint 0 or 1, nothing else.
    public mutating func readBool(_ tag: CompactTag) throws(CompactDecodingError) -> Bool {
        let (value, start) = try readVarintField(tag)
        guard value <= 1 else { throw outOfRange(tag, value, "bool", at: start) }
        return value == 1
    }

    /// Reads an `int64` field's value (zig-zag varint).
    public mutating func readInt64(_ tag: CompactTag) throws(CompactDecodingError) -> Int64 {
        ZigZag.decode(try readVarintField(tag).value)
    }

    /// Reads an `int32` field's value (zig-zag varint that must fit 32 bits).
    public mutating func readInt32(_ tag: CompactTag) throws(CompactDecodingError) -> Int32 {
        let (raw, start) = try readVarintField(tag)
        guard let value = Int32(exactly: ZigZag.decode(raw)) else {
            throw outOfRange(tag, raw, "int32", at: start)
        }
        return value
    }

    /// Reads a `uint64` field's value.
    public mutating func readUInt64(_ tag: CompactTag) throws(CompactDecodingError) -> UInt64 {
        try readVarintField(tag).value
    }

    /// Reads a `uint32` field's value (a varint that must fit 32 bits).
    public mutating func readUInt32(_ tag: CompactTag) throws(CompactDecodingError) -> UInt32 {
        let (raw, start) = try readVarintField(tag)
        guard let value = UInt32(exactly: raw) else {
            throw outOfRange(tag, raw, "uint32", at: start)
        }
        return value
    }

    /// Reads an enum field's value; numbers the schema does not know are kept.
    public mutating func readEnum<E: CompactEnum>(_ tag: CompactTag) throws(CompactDecodingError)
        -> E
    {
        E(rawValue: try readUInt32(tag))
    }

    // MARK: Messages

    /// Reads a nested message, one level deeper than the current one.
    ///
    /// - Throws: ``CompactDecodingError`` for a bad length, a nested decoding error, or nesting
    ///   past ``CompactLimits/nestingDepthMax``.
    public mutating func readMessage<M: CompactMessage>(_ tag: CompactTag)
        throws(CompactDecodingError) -> M
    {
        try expect(tag, .lengthDelimited)
        let length = try readLength(field: tag.fieldNumber)
        guard depth < limits.nestingDepthMax else {
            throw error(
                .depthLimitExceeded, "messages nest deeper than \(limits.nestingDepthMax)",
                at: index)
        }
        let outerEnd = end
        end = index + length
        depth += 1
        let message = try M(compactReader: &self)
        assert(index == end, "a message decoder stops at the end of its message")
        depth -= 1
        end = outerEnd
        return message
    }

    // MARK: Internals

    /// Reads a base-128 varint of at most ten bytes that fits 64 bits.
    public mutating func readVarint() throws(CompactDecodingError) -> UInt64 {
        let start = index
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < end else { throw error(.truncated, "varint is truncated", at: start) }
            let byte = bytes[index]
            index += 1
            // The tenth byte may carry only the 64th bit.
            if shift == 63 && byte > 1 {
                throw error(.varintTooLong, "varint does not fit 64 bits", at: start)
            }
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    /// Reads a varint field's value and the offset where the varint starts.
    private mutating func readVarintField(_ tag: CompactTag) throws(CompactDecodingError)
        -> (value: UInt64, start: Int)
    {
        try expect(tag, .varint)
        let start = index
        return (try readVarint(), start)
    }

    /// Reads a length prefix and checks it against the bytes left in the current message.
    private mutating func readLength(field: UInt32) throws(CompactDecodingError) -> Int {
        let start = index
        let declared = try readVarint()
        guard declared <= UInt64(end - index) else {
            throw error(
                .lengthPastEnd,
                "field \(field) declares \(declared) bytes but \(end - index) remain", at: start)
        }
        return Int(declared)
    }

    private mutating func skipBytes(_ count: Int, field: UInt32) throws(CompactDecodingError) {
        guard count <= end - index else {
            throw error(.truncated, "field \(field) is truncated", at: index)
        }
        index += count
    }

    /// Checks the wire type of the tag just read; a mismatch is reported at that tag.
    private func expect(_ tag: CompactTag, _ wireType: CompactWireType)
        throws(CompactDecodingError)
    {
        guard tag.wireType == wireType else {
            throw error(
                .wrongWireType,
                "field \(tag.fieldNumber) has wire type \(tag.wireType.rawValue), "
                    + "expected \(wireType.rawValue)", at: tagStart)
        }
    }

    private func outOfRange(_ tag: CompactTag, _ value: UInt64, _ type: String, at start: Int)
        -> CompactDecodingError
    {
        error(
            .valueOutOfRange, "field \(tag.fieldNumber) value \(value) does not fit \(type)",
            at: start)
    }

    /// An error at `offset`, the first byte of the element at fault (see the type's comment).
    private func error(_ code: CompactDecodingError.Code, _ message: String, at offset: Int)
        -> CompactDecodingError
    {
        CompactDecodingError(code: code, message: message, offset: offset)
    }
}
