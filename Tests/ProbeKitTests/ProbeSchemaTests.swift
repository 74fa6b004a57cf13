import CashbackTestSupport
import ProbeKit
import Testing

/// What the probe knows by name: every method `list` shows is one `call` takes, gRPC's health
/// service included.
@Suite(.timeLimit(.minutes(1))) struct ProbeSchemaTests {
    @Test func callTakesEveryMethodListShows() async throws {
        let server = try await TestServer.start()
        let flags = ["--plaintext", "--token", server.token, "127.0.0.1:\(server.port)"]
        let listed = ProbeTests.output(await ProbeTests.run(flags + ["list"]))
            .split(separator: "\n").filter { $0.hasPrefix("  ") }
            .map { $0.trimmingPrefix("  ") }.map(String.init)
        #expect(listed.contains("grpc.health.v1.Health/Check"))
        #expect(listed.contains("grpc.health.v1.Health/Watch"))
        #expect(listed.count > 30, "\(listed)")
        for method in listed {
            // Watch streams until the server drains: a short deadline ends it.
            let deadline = method.hasSuffix("/Watch") ? ["--max-time", "0.2"] : []
            let result = await ProbeTests.run(flags + deadline + ["call", method, "-d", "{}"])
            // The server may refuse an empty request; the probe must not.
            #expect(result.exitCode != 2, "\(method): \(result.standardError)")
            #expect(!result.standardError.contains("usage:"), "\(method): \(result.standardError)")
        }
        await server.stop()
    }

    @Test func healthCheckThroughCall() async throws {
        let server = try await TestServer.start()
        let flags = ["--plaintext", "127.0.0.1:\(server.port)", "call", "grpc.health.v1.Health/Check"]
        let serving = await ProbeTests.run(flags + ["-d", #"{"service":"cashback.v1.Wallet"}"#])
        #expect(ProbeTests.output(serving) == "{\n  \"status\" : \"SERVING\"\n}\n")
        #expect(serving.exitCode == 0)
        let unknown = await ProbeTests.run(flags + ["-d", #"{"service":"nope.v1.Nothing"}"#])
        #expect(unknown.exitCode == 64 + 5)
        #expect(unknown.standardError == "NOT_FOUND: unknown service 'nope.v1.Nothing'\n")
        let typo = await ProbeTests.run(flags + ["-d", #"{"servce":""}"#])
        #expect(typo.exitCode == 2)
        #expect(
            typo.standardError.hasPrefix(
                #"usage: -d is not a valid grpc.health.v1.HealthCheckRequest: "#
                    + #"grpc.health.v1.HealthCheckRequest has no field "servce" at servce "#
                    + #"(did you mean "service"?)"#), "\(typo.standardError)")
        await server.stop()
    }

    @Test func theHealthMessagesEncodeAndDecodeAsProtobufDoes() async {
        let frame = await ProbeTests.run(
            ["encode", "grpc.health.v1.Health/Check", "-d", #"{"service":"a.B"}"#])
        // protobuf: field 1, length-delimited, 3 bytes.
        #expect(frame.standardOutput == [0, 0, 0, 0, 5, 0x0a, 3, 0x61, 0x2e, 0x42])
        let status = await Probe.run(["decode", "grpc.health.v1.HealthCheckResponse"]) { [0x08, 0x02] }
        #expect(ProbeTests.output(status) == "{\n  \"status\" : \"NOT_SERVING\"\n}\n")
        let described = await ProbeTests.run(["describe", "grpc.health.v1.Health"])
        #expect(ProbeTests.output(described).contains(
            "rpc Watch(grpc.health.v1.HealthCheckRequest) returns (stream grpc.health.v1.HealthCheckResponse);"))
    }
}
