import RPC
import Testing

@Suite struct GRPCMessageDeframerTests {
    static let payloads: [[UInt8]] = [[], [1], Array(repeating: 7, count: 300), [0, 0, 0, 0, 0]]
    static var stream: [UInt8] { payloads.flatMap(GRPCFraming.frame) }

    @Test func splitsMessagesGivenWhole() throws {
        var deframer = GRPCMessageDeframer(messageBytesMax: 1024)
        try deframer.append(Self.stream)
        #expect(deframer.messages == Self.payloads)
        #expect(!deframer.hasPartialMessage)
    }

    @Test func splitsMessagesGivenOneByteAtATime() throws {
        var deframer = GRPCMessageDeframer(messageBytesMax: 1024)
        for byte in Self.stream { try deframer.append([byte]) }
        #expect(deframer.messages == Self.payloads)
    }

    @Test(arguments: [2, 3, 5, 7, 64])
    func splitsMessagesAcrossAnyChunking(_ chunk: Int) throws {
        var deframer = GRPCMessageDeframer(messageBytesMax: 1024)
        let stream = Self.stream
        for start in stride(from: 0, to: stream.count, by: chunk) {
            try deframer.append(stream[start..<min(start + chunk, stream.count)])
        }
        #expect(deframer.messages == Self.payloads)
    }

    @Test func rejectsAnOversizedPrefixBeforeItsBodyArrives() {
        var deframer = GRPCMessageDeframer(messageBytesMax: 16)
        // Only the prefix of a 4 GiB message: the limit is enforced from the prefix alone.
        #expect {
            try deframer.append([0, 0xff, 0xff, 0xff, 0xff])
        } throws: { ($0 as? RPCError)?.code == .resourceExhausted }
    }

    @Test func acceptsAMessageOfExactlyTheLimit() throws {
        var deframer = GRPCMessageDeframer(messageBytesMax: 16)
        try deframer.append(GRPCFraming.frame(Array(repeating: 1, count: 16)))
        #expect(deframer.messages.count == 1)
    }

    @Test func rejectsCompressedAndInvalidFlags() {
        for flag: UInt8 in [1, 2, 0x80] {
            var deframer = GRPCMessageDeframer(messageBytesMax: 16)
            #expect {
                try deframer.append([flag, 0, 0, 0, 0])
            } throws: { ($0 as? RPCError)?.code == .internal }
        }
    }

    @Test func reportsAPartialMessage() throws {
        var deframer = GRPCMessageDeframer(messageBytesMax: 16)
        try deframer.append([0, 0, 0, 0, 3, 1])
        #expect(deframer.hasPartialMessage)
        #expect(deframer.messages.isEmpty)
    }

    @Test func framesWithABigEndianLength() {
        #expect(GRPCFraming.frame(Array(repeating: 0, count: 258)).prefix(5) == [0, 0, 0, 1, 2])
    }
}
