import RPC
import Testing

@Suite struct GRPCHeaderTests {
    @Test(arguments: [
        ("1S", Duration.seconds(1)), ("100m", .milliseconds(100)), ("5M", .seconds(300)),
        ("2H", .seconds(7200)), ("7u", .microseconds(7)), ("99999999n", .nanoseconds(99_999_999)),
    ])
    func parsesTimeouts(_ text: String, _ expected: Duration) {
        #expect(GRPCTimeout.parse(text) == expected)
    }

    @Test(arguments: ["", "S", "1", "123456789S", "1s", "-1S", "1.5S", "1 S"])
    func rejectsMalformedTimeouts(_ text: String) {
        #expect(GRPCTimeout.parse(text) == nil)
    }

    @Test(arguments: [
        Duration.milliseconds(1500), .seconds(30), .nanoseconds(1), .seconds(86_400 * 365),
    ])
    func formattedTimeoutsParseBackNoShorter(_ duration: Duration) throws {
        let parsed = try #require(GRPCTimeout.parse(GRPCTimeout.format(duration)))
        #expect(parsed >= duration)
    }

    /// Found by `Fuzz/Targets/timeout`: -1 ns was sent as `-1n`, which servers reject as
    /// malformed (its seconds component is 0, so a check on the seconds let it through).
    @Test(arguments: [
        Duration.nanoseconds(-1), .milliseconds(-500), .seconds(-1),
        .seconds(-3) + .milliseconds(1), .zero,
    ])
    func pastDeadlinesAreSentAsZero(_ duration: Duration) {
        #expect(GRPCTimeout.format(duration) == "0n")
    }

    @Test func percentEncodesStatusMessages() {
        let message = "50% off – ünïcode\nline"
        let encoded = GRPCMessageEncoding.encode(message)
        #expect(encoded.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7e })
        #expect(encoded.hasPrefix("50%25 off %E2%80%93"))
        #expect(GRPCMessageEncoding.decode(encoded) == message)
    }

    @Test func decodingABadMessageNeverFails() {
        #expect(GRPCMessageEncoding.decode("100%") == "100%")
        #expect(GRPCMessageEncoding.decode("%zz%4") == "%zz%4")
    }

    @Test(arguments: [
        ("application/grpc", GRPCContentType.accepted),
        ("application/grpc+compact", .accepted),
        ("application/grpc;charset=utf-8", .accepted),
        ("Application/GRPC", .accepted),
        ("application/GRPC+Compact", .accepted),
        ("application/grpc+proto", .unsupportedCodec("proto")),
        ("application/grpc+json", .unsupportedCodec("json")),
        ("application/json", .notGRPC),
        ("application/grpcx", .notGRPC),
        ("text/plain", .notGRPC),
    ])
    func classifiesContentTypes(_ value: String, _ expected: GRPCContentType) {
        #expect(GRPCContentType.classify(value) == expected)
    }

    @Test func aMissingContentTypeIsNotGRPC() {
        #expect(GRPCContentType.classify(nil) == .notGRPC)
    }

    @Test func namesStatusCodesAsGRPCDoes() {
        #expect(RPCStatusCode.notFound.name == "NOT_FOUND")
        #expect(RPCStatusCode.unauthenticated.rawValue == 16)
        #expect(RPCStatusCode(rawValue: 99).name == "CODE_99")
    }
}
