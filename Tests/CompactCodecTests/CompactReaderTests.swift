import CashbackAPI
import CompactCodec
import Testing

/// A message that nests itself, to test the depth limit (the schema has none).
struct Nested: CompactMessage {
    static let schemaName = "test.Nested"
    var child: [Nested] = []
    var label = ""

    init() {}

    init(compactReader reader: inout CompactReader) throws(CompactDecodingError) {
        while let tag = try reader.readTag() {
            switch tag.fieldNumber {
            case 1: child.append(try reader.readMessage(tag) as Nested)
            case 2: label = try reader.readString(tag)
            default: try reader.skipField(tag)
            }
        }
    }

    func encode(to writer: inout CompactWriter) {
        writer.writeRepeatedMessageField(1, child)
        writer.writeStringField(2, label)
    }

    static func chain(depth: Int) -> Nested {
        var message = Nested()
        message.label = "leaf"
        for _ in 0..<depth {
            var parent = Nested()
            parent.child = [message]
            message = parent
        }
        return message
    }
}

@Suite struct CompactReaderTests {
    @Test func roundTripsEveryFieldKind() throws {
        let request = CashbackV1.AccrueRequest(
            merchantID: "shop-ü", orderID: "o-1", memberID: "m", amountMinor: Int64.max,
            currency: "EUR", orderedAtMs: -1)
        #expect(try CashbackV1.AccrueRequest(compactBytes: request.compactBytes()) == request)
        let response = CashbackV1.ListServicesResponse(services: [
            .init(name: "a", methods: ["x", "y"]), .init(name: "", methods: []),
        ])
        #expect(try CashbackV1.ListServicesResponse(compactBytes: response.compactBytes()) == response)
    }

    @Test func encodingIsDeterministic() {
        let request = CashbackV1.GetBalanceRequest(memberID: "m1", currency: "EUR")
        #expect(request.compactBytes() == request.compactBytes())
        #expect(request.compactBytes() == [0x0a, 0x02, 0x6d, 0x31, 0x12, 0x03, 0x45, 0x55, 0x52])
    }

    @Test(arguments: [Int64.min, -1, 0, 1, 63, 64, -64, -65, Int64.max])
    func zigZagRoundTrips(_ value: Int64) {
        #expect(ZigZag.decode(ZigZag.encode(value)) == value)
    }

    @Test func nestingUpToTheLimitDecodes() throws {
        let limits = CompactLimits(nestingDepthMax: 8)
        let message = Nested.chain(depth: 8)
        #expect(try Nested(compactBytes: message.compactBytes(), limits: limits) == message)
    }

    @Test func nestingPastTheLimitIsAnError() {
        let limits = CompactLimits(nestingDepthMax: 8)
        let bytes = Nested.chain(depth: 9).compactBytes()
        #expect {
            try Nested(compactBytes: bytes, limits: limits)
        } throws: { ($0 as? CompactDecodingError)?.code == .depthLimitExceeded }
    }

    /// Fields are counted in the message and every message within it: `fieldsMax` of them
    /// decode, one more is refused at that field's tag, unknown fields included.
    @Test(arguments: [
        // Four empty children at the top: fields 1–4.
        ([0x0a, 0x00, 0x0a, 0x00, 0x0a, 0x00, 0x0a, 0x00], nil as Int?),
        // A fifth.
        ([0x0a, 0x00, 0x0a, 0x00, 0x0a, 0x00, 0x0a, 0x00, 0x0a, 0x00], 8),
        // Two children holding two each: the fifth field is inside the second (at 8).
        ([0x0a, 0x04, 0x0a, 0x00, 0x0a, 0x00, 0x0a, 0x04, 0x0a, 0x00, 0x0a, 0x00], 8),
        // Unknown fields count too.
        ([0x18, 0x01, 0x18, 0x01, 0x18, 0x01, 0x18, 0x01, 0x18, 0x01], 8),
    ] as [([UInt8], Int?)])
    func fieldsPastTheLimitAreRefused(_ bytes: [UInt8], _ offset: Int?) throws {
        let limits = CompactLimits(nestingDepthMax: 8, fieldsMax: 4)
        guard let offset else {
            _ = try Nested(compactBytes: bytes, limits: limits)
            return
        }
        #expect {
            _ = try Nested(compactBytes: bytes, limits: limits)
        } throws: { error in
            guard let error = error as? CompactDecodingError else { return false }
            return error.code == .fieldLimitExceeded && error.offset == offset
        }
    }

    /// A megabyte of empty children (two bytes each) would decode to half a million values:
    /// the default limit refuses it after 65 536 fields.
    @Test func aMegabyteOfTinyFieldsIsRefused() {
        let bytes = [UInt8](repeating: 0, count: 1 << 20).enumerated().map { index, _ in
            index % 2 == 0 ? UInt8(0x0a) : 0x00
        }
        #expect {
            _ = try Nested(compactBytes: bytes)
        } throws: { ($0 as? CompactDecodingError)?.code == .fieldLimitExceeded }
    }

    @Test func deepHostileNestingFailsWithoutExhaustingTheStack() {
        // 2000 levels of "field 1, length of the rest": a decoder without a depth limit
        // recurses 2000 frames deep; ours stops at the default limit of 32.
        var bytes: [UInt8] = []
        for _ in 0..<2000 {
            var writer = CompactWriter()
            writer.writeTag(1, .lengthDelimited)
            writer.writeLengthDelimited(bytes)
            bytes = writer.bytes
        }
        #expect {
            _ = try Nested(compactBytes: bytes)
        } throws: { ($0 as? CompactDecodingError)?.code == .depthLimitExceeded }
    }

    @Test func everyTruncationOfAValidMessageFailsOrDecodesWithoutTrapping() {
        let bytes = CashbackV1.AccrueRequest(
            merchantID: "shop", orderID: "order", memberID: "member", amountMinor: 123_456,
            currency: "EUR", orderedAtMs: 1_700_000_000_000
        ).compactBytes()
        var failures = 0
        for length in 0..<bytes.count {
            do {
                _ = try CashbackV1.AccrueRequest(compactBytes: Array(bytes[..<length]))
            } catch {
                failures += 1
            }
        }
        // Cuts at field boundaries decode (to a message with fewer fields); all others fail.
        #expect(failures > bytes.count / 2)
    }

    @Test func randomBytesNeverTrap() {
        var generator = SplitMix64(seed: 42)
        for _ in 0..<20_000 {
            let count = Int(generator.next() % 64)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            _ = try? CashbackV1.AccrueRequest(compactBytes: bytes)
            _ = try? CashbackV1.ListServicesResponse(compactBytes: bytes)
            _ = try? Nested(compactBytes: bytes)
        }
    }

    /// Offsets are counted from the outermost message and point at the first byte of the
    /// element at fault, also inside nested messages (the golden vectors cover the top level).
    @Test(arguments: [
        // The third level's contents (`12 00`, at 4) are one level too deep for a limit of 1.
        ([0x0a, 0x04, 0x0a, 0x02, 0x12, 0x00], CompactDecodingError.Code.depthLimitExceeded, 4),
        // A nested string's contents (at 4) are not UTF-8.
        ([0x0a, 0x04, 0x12, 0x02, 0xc3, 0x28], .invalidUTF8, 4),
        // A nested tag (at 2) gives the string field 2 wire type 0.
        ([0x0a, 0x02, 0x10, 0x01], .wrongWireType, 2),
        // A nested length prefix (at 3) runs past its message, not past the input.
        ([0x0a, 0x02, 0x12, 0x05, 0x61, 0x62, 0x63, 0x64, 0x65], .lengthPastEnd, 3),
    ] as [([UInt8], CompactDecodingError.Code, Int)])
    func nestedErrorsPointAtTheElementAtFault(
        _ bytes: [UInt8], _ code: CompactDecodingError.Code, _ offset: Int
    ) {
        #expect {
            _ = try Nested(compactBytes: bytes, limits: CompactLimits(nestingDepthMax: 1))
        } throws: { error in
            guard let error = error as? CompactDecodingError else { return false }
            return error.code == code && error.offset == offset
        }
    }

    /// Strings: ASCII (the fast path), other valid UTF-8 kept as sent, anything else refused
    /// as invalid UTF-8 at the string's first byte.
    @Test(arguments: [
        ([0x6d, 0x31], "m1"),
        ([], ""),
        ([0x7f], "\u{7f}"),
        ([0x63, 0x61, 0x66, 0xc3, 0xa9], "café"),
        ([0xf0, 0x9f, 0x92, 0xb6], "💶"),
        ([0x80], nil),  // a continuation byte alone
        ([0xc0, 0x80], nil),  // an overlong NUL
        ([0xed, 0xa0, 0x80], nil),  // a UTF-16 surrogate
        ([0x61, 0xe2, 0x82], nil),  // cut inside a character
        ([0xff], nil),
    ] as [([UInt8], String?)])
    func stringsAreValidUTF8(_ utf8: [UInt8], _ expected: String?) throws {
        let bytes = [0x0a, UInt8(utf8.count)] + utf8
        if let expected {
            #expect(try CashbackV1.GetBalanceRequest(compactBytes: bytes).memberID == expected)
        } else {
            #expect {
                try CashbackV1.GetBalanceRequest(compactBytes: bytes)
            } throws: { error in
                (error as? CompactDecodingError).map { $0.code == .invalidUTF8 && $0.offset == 2 }
                    ?? false
            }
        }
    }

    @Test func errorsNameTheFieldAndOffset() {
        let bytes: [UInt8] = [0x0a, 0x02, 0x6d, 0x31, 0x12, 0x09, 0x45]
        #expect {
            try CashbackV1.GetBalanceRequest(compactBytes: bytes)
        } throws: { error in
            guard let error = error as? CompactDecodingError else { return false }
            return error.code == .lengthPastEnd && error.offset == 5
                && error.message.contains("field 2")
        }
    }
}

/// A small deterministic generator, so random tests replay exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
