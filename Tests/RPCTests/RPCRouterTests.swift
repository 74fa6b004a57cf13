import CompactCodec
import RPC
import Testing

/// A one-field message for router tests.
struct Echo: CompactMessage {
    static let schemaName = "test.Echo"
    var text = ""
    init() {}
    init(text: String) { self.text = text }
    init(compactReader reader: inout CompactReader) throws(CompactDecodingError) {
        while let tag = try reader.readTag() {
            if tag.fieldNumber == 1 { text = try reader.readString(tag) } else {
                try reader.skipField(tag)
            }
        }
    }
    func encode(to writer: inout CompactWriter) { writer.writeStringField(1, text) }
}

struct Boom: Error {}

@Suite struct RPCRouterTests {
    static let echo = MethodDescriptor(service: "test.Echo", method: "Say")
    static let fail = MethodDescriptor(service: "test.Echo", method: "Fail")

    static var transport: InProcessClientTransport {
        var router = RPCRouter()
        router.registerUnary(echo) { (request: Echo, _) in Echo(text: request.text + "!") }
        router.registerUnary(fail) { (_: Echo, _) -> Echo in throw Boom() }
        return InProcessClientTransport(
            router: router,
            limits: RPCLimits(
                messageBytesMax: 64, headerListBytesMax: 8192, concurrentStreamsMax: 10,
                streamWindowBytes: 65_535))
    }

    @Test func routesByPath() async throws {
        let response = try await Self.transport.unary(
            Self.echo, request: Echo(text: "hi").compactBytes(), options: CallOptions())
        #expect(try Echo(compactBytes: response).text == "hi!")
    }

    @Test func unknownMethodIsUnimplemented() async {
        await #expect {
            _ = try await Self.transport.unary(
                MethodDescriptor(service: "test.Echo", method: "Nope"), request: [],
                options: CallOptions())
        } throws: { ($0 as? RPCError)?.code == .unimplemented }
    }

    @Test func malformedRequestIsInvalidArgument() async {
        await #expect {
            _ = try await Self.transport.unary(Self.echo, request: [0x0a, 0x09], options: CallOptions())
        } throws: { ($0 as? RPCError)?.code == .invalidArgument }
    }

    @Test func oversizedRequestIsResourceExhausted() async {
        await #expect {
            _ = try await Self.transport.unary(
                Self.echo, request: Echo(text: String(repeating: "x", count: 100)).compactBytes(),
                options: CallOptions())
        } throws: { ($0 as? RPCError)?.code == .resourceExhausted }
    }

    @Test func otherHandlerErrorsAreUnknownAndLeakNothing() async {
        await #expect {
            _ = try await Self.transport.unary(Self.fail, request: [], options: CallOptions())
        } throws: { error in
            guard let error = error as? RPCError else { return false }
            return error.code == .unknown && !error.message.contains("Boom")
        }
    }

    @Test func defaultLimitsAreConsistent() {
        #expect(RPCLimits.default.isValid)
        #expect(RPCLimits.default.headerListBytesMax >= 8192)
    }

    @Test(arguments: [("127.0.0.1:50051", "127.0.0.1", 50051), ("[::1]:0", "::1", 0), ("localhost:8080", "localhost", 8080)])
    func parsesHostAndPort(_ text: String, _ host: String, _ port: Int) throws {
        let parsed = try HostAndPort(parsing: text)
        #expect(parsed.host == host)
        #expect(parsed.port == port)
    }

    @Test(arguments: ["127.0.0.1", ":50051", "host:65536", "host:-1", "host:x"])
    func rejectsBadAddresses(_ text: String) {
        #expect(throws: HostAndPortError.self) { try HostAndPort(parsing: text) }
    }
}
