import CashbackClient
import CashbackTestSupport
import Foundation
@testable import ProbeKit
import Testing

/// `--format json`: every result one JSON value a line on standard output, every error one
/// `{"error":…}` line on standard error; `text` as before.
@Suite(.timeLimit(.minutes(1))) struct OutputFormatTests {
    /// Standard output's lines, each parsed as a JSON object.
    static func objects(_ result: ProbeResult) throws -> [[String: Any]] {
        try ProbeTests.output(result).split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    /// The one `{"error":…}` line of standard error.
    static func error(_ result: ProbeResult) throws -> [String: Any] {
        let lines = result.standardError.split(separator: "\n")
        try #require(lines.count == 1, "\(result.standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        return try #require(object?["error"] as? [String: Any])
    }

    // MARK: The one-line form

    @Test func minifyingKeepsStringsAndEveryDigit() {
        let pretty = "{\n  \"a\" : \"x y \\\" z\",\n  \"b\" : [\n    1,\n    9223372036854775807\n  ]\n}"
        #expect(JSONLine.minified(Array(pretty.utf8)) == #"{"a":"x y \" z","b":[1,9223372036854775807]}"#)
        #expect(JSONLine.minified(Array(#"{ "k" : "\\" , "t" : "\t" }"#.utf8)) == #"{"k":"\\","t":"\t"}"#)
    }

    @Test(arguments: [
        (["--format", "json", "health"], OutputFormat.json),
        (["--format=json"], .json),
        (["--format", "text"], .text),
        (["--bogus", "json"], .text),
        ([], .text),
    ])
    func theFormatOfWordsNotParsedYet(_ words: [String], _ expected: OutputFormat) {
        #expect(OutputFormat.requested(in: words) == expected)
    }

    // MARK: Each verb

    @Test func listDescribeCallHealthAndDecode() async throws {
        let server = try await TestServer.start()
        let flags = ["--format", "json", "--plaintext", "--token", server.token, "127.0.0.1:\(server.port)"]

        let list = try Self.objects(await ProbeTests.run(flags + ["list"]))
        try #require(list.count == 1)
        let services = try #require(list[0]["services"] as? [[String: Any]])
        let admin = try #require(services.first { $0["name"] as? String == "cashback.v1.Admin" })
        let methods = try #require(admin["methods"] as? [[String: Any]])
        let export = methods.first { $0["name"] as? String == "cashback.v1.Admin/ExportJournal" }
        #expect(export?["serverStreaming"] as? Bool == true)
        let verify = methods.first { $0["name"] as? String == "cashback.v1.Admin/Verify" }
        #expect(verify?["serverStreaming"] as? Bool == false)
        let one = try Self.objects(await ProbeTests.run(flags + ["list", "grpc.health.v1.Health"]))
        #expect((one[0]["services"] as? [[String: Any]])?.count == 1)

        let health = await ProbeTests.run(flags + ["health"])
        #expect(ProbeTests.output(health) == "{\"status\":\"SERVING\"}\n")

        // A unary call: the response on one line, the same object the text form prints.
        let balance = #"{"memberId":"m1","currency":"EUR"}"#
        let call = await ProbeTests.run(flags + ["call", "cashback.v1.Wallet/GetBalance", "-d", balance])
        #expect(call.exitCode == 0)
        #expect(ProbeTests.output(call).hasPrefix(#"{"availableMinor":0,"debtMinor":0,"#))
        let text = await ProbeTests.run(
            ["--plaintext", "--token", server.token, "127.0.0.1:\(server.port)", "call",
             "cashback.v1.Wallet/GetBalance", "-d", balance])
        let fromText = try JSONSerialization.jsonObject(with: Data(text.standardOutput)) as? NSDictionary
        #expect(try Self.objects(call).first.map(NSDictionary.init) == fromText)

        // A streaming call: a line per message.
        for index in 1...3 {
            _ = await ProbeTests.run(flags + [
                "call", "cashback.v1.Admin/AdjustBalance", "-d",
                #"{"memberId":"m\#(index)","currency":"EUR","amountMinor":100,"reason":"r","#
                    + #""actor":"a","idempotencyKey":"k\#(index)"}"#,
            ])
        }
        let journal = try Self.objects(
            await ProbeTests.run(flags + ["call", "cashback.v1.Admin/ExportJournal", "-d", "{}"]))
        #expect(journal.map { $0["entryId"] as? Int } == [1, 2, 3])
        await server.stop()
    }

    @Test func offlineVerbs() async throws {
        let method = try Self.objects(
            await ProbeTests.run(["--format", "json", "describe", "cashback.v1.Wallet/GetBalance"]))
        try #require(method.count == 1)
        #expect(method[0]["kind"] as? String == "method")
        #expect(method[0]["request"] as? String == "cashback.v1.GetBalanceRequest")
        #expect(method[0]["serverStreaming"] as? Bool == false)
        let messages = try #require(method[0]["messages"] as? [[String: Any]])
        #expect(messages.map { $0["name"] as? String } == ["cashback.v1.GetBalanceRequest", "cashback.v1.GetBalanceResponse"])
        let fields = try #require(messages[0]["fields"] as? [[String: Any]])
        #expect(fields[0]["jsonName"] as? String == "memberId" && fields[0]["number"] as? Int == 1)

        let service = try Self.objects(await ProbeTests.run(["--format", "json", "describe", "cashback.v1.Wallet"]))
        #expect(service[0]["kind"] as? String == "service")
        #expect((service[0]["methods"] as? [[String: Any]])?.contains { $0["name"] as? String == "cashback.v1.Wallet/Redeem" } == true)
        let message = try Self.objects(
            await ProbeTests.run(["--format", "json", "describe", "cashback.v1.QuoteRequest"]))
        // The message first, then the ones its fields use.
        #expect((message[0]["messages"] as? [[String: Any]])?.map { $0["name"] as? String }
            == ["cashback.v1.QuoteRequest", "cashback.v1.OrderLine"])

        let decoded = await Probe.run(["--format", "json", "decode", "cashback.v1.Wallet/GetBalance"]) { [0x08, 0x0a] }
        #expect(ProbeTests.output(decoded).hasPrefix(#"{"availableMinor":0,"#))
        #expect(ProbeTests.output(decoded).contains(#""pendingMinor":5,"#))
    }

    // MARK: Errors

    @Test func aFailedCallIsOneErrorObjectOnStandardError() async throws {
        let server = try await TestServer.start()
        let result = await ProbeTests.run([
            "--format", "json", "--plaintext", "--token", server.token, "127.0.0.1:\(server.port)",
            "call", "cashback.v1.Accruals/Confirm", "-d", #"{"merchantId":"shop-1","orderId":"o-1"}"#,
        ])
        #expect(result.exitCode == 69)
        #expect(result.standardOutput.isEmpty)
        let error = try Self.error(result)
        #expect(error["code"] as? String == "NOT_FOUND")
        #expect(error["grpcCode"] as? Int == 5)
        #expect(error["exitCode"] as? Int == 69)
        #expect((error["message"] as? String)?.hasPrefix("no accrual for order") == true)
        await server.stop()
    }

    @Test(arguments: [
        // Found by the probe after parsing: the message without the usage lines.
        (["call", "cashback.v1.Wallet/GetBalance", "-d", "{"],
         "-d is not a valid cashback.v1.GetBalanceRequest: not JSON: the text ends inside a JSON value, at line 1, column 2 (byte 1)"),
        (["call", "cashback.v1.Wallet/GetBalanse"],
         "unknown method cashback.v1.Wallet/GetBalanse (did you mean cashback.v1.Wallet/GetBalance?); `cashback-probe HOST:PORT list` shows the methods"),
        (["-H", "te: x", "health"], "-H cannot set 'te': the transport sends 'te: trailers', as gRPC requires"),
        // Found by the parser.
        (["--bogus", "health"], "Unknown option '--bogus'"),
    ])
    func usageErrorsAreErrorObjectsWithCodeUSAGE(_ words: [String], _ message: String) async throws {
        let result = await ProbeTests.run(["--format", "json", "--plaintext", "127.0.0.1:1"] + words)
        #expect(result.exitCode == 2)
        let error = try Self.error(result)
        #expect(error["code"] as? String == "USAGE")
        #expect(error["exitCode"] as? Int == 2)
        #expect(error["grpcCode"] == nil)
        #expect(error["message"] as? String == message)
    }

    @Test func otherFailuresAreErrorObjectsWithCodeERROR() async throws {
        let result = await ProbeTests.run(
            ["--format=json", "--cacert", "/nonexistent/ca.pem", "127.0.0.1:1", "health"])
        #expect(result.exitCode == 1)
        let error = try Self.error(result)
        #expect(error["code"] as? String == "ERROR" && error["exitCode"] as? Int == 1)
        #expect((error["message"] as? String)?.contains("cannot load the CA file /nonexistent/ca.pem") == true)
    }

    @Test func anUnreachableServerInJSON() async throws {
        let result = await ProbeTests.run(["--format", "json", "--plaintext", "127.0.0.1:1", "health"])
        let error = try Self.error(result)
        #expect(error["code"] as? String == "UNAVAILABLE" && error["exitCode"] as? Int == 78)
        #expect(error["message"] as? String == "cannot connect to 127.0.0.1:1: connection refused — is cashbackd running?")
    }

    @Test(arguments: [
        (["--format", "text", "encode", "cashback.v1.Wallet/GetBalance"],
         "usage: encode writes a binary frame: --format applies to what prints text"),
        (["--format", "xml", "describe", "cashback.v1.Wallet"], "usage: --format must be text or json, got 'xml'"),
    ])
    func formatsThatDoNotApplyAreUsageErrors(_ words: [String], _ expected: String) async {
        let result = await ProbeTests.run(words)
        #expect(result.exitCode == 2)
        #expect(result.standardError.hasPrefix(expected), "\(result.standardError)")
    }
}
