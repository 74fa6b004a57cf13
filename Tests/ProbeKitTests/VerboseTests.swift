import CashbackClient
import CashbackTestSupport
import Foundation
import H2
@testable import ProbeKit
import Testing

/// `-v`: the request headers (the token redacted), response headers, trailers and timings of
/// each call, on standard error; first as the printer lays them out, then against a server.
@Suite(.timeLimit(.minutes(1))) struct VerboseTests {
    static func fields(_ pairs: [(String, String)]) -> [Metadata.Field] {
        pairs.map { Metadata.Field(name: $0.0, value: $0.1) }
    }

    static let request = fields([
        (":method", "POST"), (":scheme", "http"), (":path", "/cashback.v1.Wallet/GetBalance"),
        (":authority", "127.0.0.1:50051"), ("content-type", "application/grpc+compact"),
        ("te", "trailers"), ("grpc-timeout", "30S"), ("authorization", "Bearer cbk_secret"),
    ])

    // MARK: Redaction

    @Test(arguments: [
        ("Bearer cbk_secret", "Bearer <redacted>"),
        ("cbk_secret", "<redacted>"),  // no scheme: all of it is the secret
        ("Basic dXNlcjpwYXNz extra", "Basic <redacted>"),
    ])
    func theAuthorizationValueIsRedacted(_ value: String, _ shown: String) {
        let field = VerboseRecorder.redacted(Metadata.Field(name: "authorization", value: value))
        #expect(field == Metadata.Field(name: "authorization", value: shown))
    }

    @Test func otherHeadersAreShownAsSent() {
        let field = Metadata.Field(name: "x-trace", value: "Bearer not-a-secret")
        #expect(VerboseRecorder.redacted(field) == field)
    }

    /// The recorder redacts as it records: what it keeps holds no token.
    @Test func theRecorderKeepsNoToken() {
        let recorder = VerboseRecorder()
        recorder.didSendRequestHeaders(Self.request, newConnection: nil)
        let kept = recorder.calls[0]
        #expect(kept.requestHeaders.last == Metadata.Field(name: "authorization", value: "Bearer <redacted>"))
        #expect(!kept.text().contains("cbk_secret") && !kept.json().contains("cbk_secret"))
    }

    // MARK: Layout

    static func knownCall() -> VerboseCall {
        var call = VerboseCall(
            requestHeaders: request.map(VerboseRecorder.redacted),
            connection: RPCConnectionSetup(connect: .microseconds(412), tlsHandshake: nil))
        call.responseHeaders = fields([(":status", "200"), ("content-type", "application/grpc+compact")])
        call.responseHeadersAfter = .microseconds(1_234)
        call.trailers = fields([("grpc-status", "0")])
        call.trailersAfter = .microseconds(1_456)
        call.total = .microseconds(2_100)
        return call
    }

    @Test func textLikeCurl() {
        #expect(
            Self.knownCall().text() == """
                * connected to 127.0.0.1:50051 (h2c) in 0.412 ms
                > :method: POST
                > :scheme: http
                > :path: /cashback.v1.Wallet/GetBalance
                > :authority: 127.0.0.1:50051
                > content-type: application/grpc+compact
                > te: trailers
                > grpc-timeout: 30S
                > authorization: Bearer <redacted>
                * response headers, 1.234 ms after the request:
                < :status: 200
                < content-type: application/grpc+compact
                * trailers, 1.456 ms after the request:
                < grpc-status: 0
                * total 2.100 ms, connecting included

                """)
    }

    @Test func jsonOnOneLine() throws {
        let line = Self.knownCall().json()
        #expect(!line.contains("\n"))
        #expect(line.hasPrefix(#"{"call":{"connection":{"connectUs":412},"requestHeaders":[{"name":":method","value":"POST"},"#))
        #expect(line.contains(#"{"name":"authorization","value":"Bearer <redacted>"}]"#))
        #expect(
            line.hasSuffix(
                #""responseHeaders":[{"name":":status","value":"200"},"#
                    + #"{"name":"content-type","value":"application/grpc+compact"}],"#
                    + #""timingsUs":{"responseHeaders":1234,"total":2100,"trailers":1456},"#
                    + #""trailers":[{"name":"grpc-status","value":"0"}]}}"#), "\(line)")
    }

    @Test func aTrailersOnlyAnswerOverTLSOnAConnectionUsedBefore() {
        var call = VerboseCall(requestHeaders: Self.fields([(":path", "/a.B/C")]), connection: nil)
        call.trailers = Self.fields([(":status", "200"), ("grpc-status", "5"), ("grpc-message", "gone")])
        call.trailersAfter = .microseconds(900)
        call.total = .microseconds(1_000)
        #expect(
            call.text() == """
                > :path: /a.B/C
                * no response headers: a trailers-only response
                * trailers, 0.900 ms after the request:
                < :status: 200
                < grpc-status: 5
                < grpc-message: gone
                * total 1.000 ms

                """)
        var tls = VerboseCall(
            requestHeaders: Self.fields([(":authority", "ledger:443")]),
            connection: RPCConnectionSetup(connect: .microseconds(300), tlsHandshake: .microseconds(2_500)))
        tls.total = .microseconds(9_000)
        #expect(
            tls.text() == """
                * connected to ledger:443 (TLS) in 0.300 ms; TLS handshake 2.500 ms
                > :authority: ledger:443
                * no trailers: the call ended without them
                * total 9.000 ms, connecting included

                """)
        #expect(tls.json().contains(#""connection":{"connectUs":300,"tlsHandshakeUs":2500}"#))
        #expect(!tls.json().contains("trailers\":"))
    }

    // MARK: Against a server

    @Test func aCallShowsWhatWentOverTheWire() async throws {
        let server = try await TestServer.start()
        let address = "127.0.0.1:\(server.port)"
        let result = await ProbeTests.run([
            "-v", "--plaintext", "--token", server.token, address, "call",
            "cashback.v1.Wallet/GetBalance", "-d", #"{"memberId":"m1","currency":"EUR"}"#,
        ])
        #expect(result.exitCode == 0)
        // Standard output is the response alone, as without -v.
        #expect(ProbeTests.output(result).hasPrefix("{\n  \"availableMinor\" : 0,"))
        let lines = result.standardError.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("* connected to \(address) (h2c) in ") == true, "\(lines)")
        // The default deadline goes out with every call.
        for line in [
            "> :path: /cashback.v1.Wallet/GetBalance", "> te: trailers",
            "> grpc-timeout: \(GRPCTimeout.format(.seconds(30)))",
            "> authorization: Bearer <redacted>", "< :status: 200", "< grpc-status: 0",
        ] {
            #expect(lines.contains(line), "\(line) in \(result.standardError)")
        }
        #expect(lines.contains { $0.hasPrefix("* response headers, ") && $0.hasSuffix(" ms after the request:") })
        #expect(lines.last?.hasPrefix("* total ") == true)
        #expect(!result.standardError.contains(server.token))
        await server.stop()
    }

    @Test func aFailedCallShowsItsTrailersThenTheError() async throws {
        let server = try await TestServer.start()
        let result = await ProbeTests.run([
            "-v", "--plaintext", "--token", server.token, "127.0.0.1:\(server.port)", "call",
            "cashback.v1.Accruals/Confirm", "-d", #"{"merchantId":"shop-1","orderId":"o-1"}"#,
        ])
        #expect(result.exitCode == 64 + 5)
        let lines = result.standardError.split(separator: "\n").map(String.init)
        #expect(lines.contains("< grpc-status: 5"), "\(result.standardError)")
        #expect(lines.contains { $0.hasPrefix("< grpc-message: ") })
        #expect(lines.last?.hasPrefix("NOT_FOUND: ") == true, "\(result.standardError)")
        await server.stop()
    }

    @Test func aStreamingCallHasTheLongerDefaultDeadline() async throws {
        let server = try await TestServer.start()
        let result = await ProbeTests.run([
            "-v", "--plaintext", "--token", server.token, "127.0.0.1:\(server.port)", "call",
            "cashback.v1.Admin/ExportJournal", "-d", "{}",
        ])
        #expect(result.exitCode == 0, "\(result.standardError)")
        #expect(result.standardError.contains("\n> grpc-timeout: \(GRPCTimeout.format(.seconds(600)))\n"))
        await server.stop()
    }

    @Test func withJSONEachCallIsOneLineBeforeTheError() async throws {
        let server = try await TestServer.start()
        let result = await ProbeTests.run([
            "-v", "--format", "json", "--plaintext", "--token", server.token,
            "127.0.0.1:\(server.port)", "call", "cashback.v1.Accruals/Confirm",
            "-d", #"{"merchantId":"shop-1","orderId":"o-1"}"#,
        ])
        #expect(result.exitCode == 64 + 5)
        let lines = result.standardError.split(separator: "\n").map { Data($0.utf8) }
        try #require(lines.count == 2, "\(result.standardError)")
        let call = try #require(
            try JSONSerialization.jsonObject(with: lines[0]) as? [String: [String: Any]])["call"]
        let trailers = try #require(call?["trailers"] as? [[String: String]])
        #expect(trailers.contains(["name": "grpc-status", "value": "5"]))
        #expect(call?["responseHeaders"] == nil)  // an error before any message: trailers-only
        let timings = try #require(call?["timingsUs"] as? [String: Int])
        #expect(timings["trailers"] != nil && timings["total"] != nil)
        let connection = try #require(call?["connection"] as? [String: Int])
        #expect(connection["connectUs"] != nil && connection["tlsHandshakeUs"] == nil)
        let error = try JSONSerialization.jsonObject(with: lines[1]) as? [String: [String: Any]]
        #expect(error?["error"]?["code"] as? String == "NOT_FOUND")
        #expect(!result.standardError.contains(server.token))
        await server.stop()
    }

    @Test func overTLSTheHandshakeIsTimed() async throws {
        let certificates = try TestCertificates.shared()
        let server = try await TestServer.start(tls: try TLSServerCredentials(certificates.server()))
        let result = await ProbeTests.run([
            "-v", "--cacert", certificates.path("ca.pem"), "127.0.0.1:\(server.port)", "health",
        ])
        #expect(ProbeTests.output(result) == "SERVING\n")
        let first = result.standardError.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("* connected to 127.0.0.1:\(server.port) (TLS) in "), "\(first)")
        #expect(first.contains(" ms; TLS handshake ") && first.hasSuffix(" ms"))
        #expect(result.standardError.contains("\n> :scheme: https\n"))
        await server.stop()
    }

    @Test(arguments: [
        (["encode", "cashback.v1.Wallet/GetBalance"], "encode calls nothing"),
        (["decode", "cashback.v1.GetBalanceResponse"], "decode calls nothing"),
        (["--plaintext", "127.0.0.1:1", "bench", "cashback.v1.Wallet/GetBalance", "-n", "1"],
         "bench's report has its latencies"),
    ])
    func verbsThatMakeNoSingleCallRefuseIt(_ words: [String], _ expected: String) async {
        let result = await ProbeTests.run(["-v"] + words)
        #expect(result.exitCode == 2)
        #expect(
            result.standardError.hasPrefix(
                "usage: -v shows the calls of list, describe, call and health; \(expected)"),
            "\(result.standardError)")
    }
}
