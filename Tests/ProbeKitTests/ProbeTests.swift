import CashbackClient
import CashbackTestSupport
import Foundation
import H2
import ProbeKit
import Testing

/// `cashback-probe` against a real server on loopback: output, errors and exit codes.
@Suite(.timeLimit(.minutes(1))) struct ProbeTests {
    static func run(_ arguments: [String], stdin: String = "") async -> ProbeResult {
        await Probe.run(arguments) { Array(stdin.utf8) }
    }

    static func output(_ result: ProbeResult) -> String {
        String(decoding: result.standardOutput, as: UTF8.self)
    }

    /// The probe's JSON: pretty-printed with sorted keys, so scripts and tests can rely on it.
    static func json(_ result: ProbeResult) -> String {
        output(result)
    }

    @Test func walkthrough() async throws {
        let server = try await TestServer.start()
        let address = "127.0.0.1:\(server.port)"
        let call = { (method: String, json: String) in
            await Self.run(["--plaintext", "--token", server.token, address, "call", method, "-d", json])
        }

        let health = await Self.run(["--plaintext", "--token", server.token, address, "health"])
        #expect(Self.output(health) == "SERVING\n")
        #expect(health.exitCode == 0)

        let upsert = await call(
            "cashback.v1.Admin/UpsertMerchant",
            #"{"merchantId":"shop-1","name":"Shop","currency":"EUR","shopperRateBps":250,"idempotencyKey":"k1"}"#)
        #expect(Self.json(upsert) == "{\n  \"created\" : true,\n  \"merchantId\" : \"shop-1\"\n}\n")

        let accrue = await call(
            "cashback.v1.Accruals/Accrue",
            #"{"merchantId":"shop-1","orderId":"o-1","memberId":"m1","amountMinor":"12999","#
                + #""currency":"EUR","orderedAtMs":1700000000000}"#)
        #expect(
            Self.json(accrue)
                == "{\n  \"accrualId\" : 1,\n  \"cashbackMinor\" : 324,\n  \"ruleVersion\" : 1,\n"
                + "  \"state\" : \"PENDING\"\n}\n")

        let balance = await call(
            "cashback.v1.Wallet.GetBalance", #"{"memberId":"m1","currency":"EUR"}"#)
        #expect(
            Self.json(balance)
                == "{\n  \"availableMinor\" : 0,\n  \"debtMinor\" : 0,\n  \"expiredMinor\" : 0,\n"
                + "  \"lifetimeMinor\" : 0,\n  \"nextExpiryAtMs\" : 0,\n  \"nextExpiryMinor\" : 0,\n"
                + "  \"pendingMinor\" : 324,\n  \"reservedMinor\" : 0,\n  \"spentMinor\" : 0,\n"
                + "  \"withdrawnMinor\" : 0\n}\n")

        let confirm = await Self.run(
            ["--plaintext", "--token", server.token, address, "call", "cashback.v1.Accruals/Confirm", "-d", "@"],
            stdin: #"{"merchantId":"shop-1","orderId":"o-1"}"#)
        #expect(Self.json(confirm) == "{\n  \"state\" : \"CONFIRMED\"\n}\n")
        await server.stop()
    }

    @Test func ledgerMethodsAreReachable() async throws {
        let server = try await TestServer.start()
        let address = "127.0.0.1:\(server.port)"
        let call = { (method: String, json: String) in
            await Self.run(["--plaintext", "--token", server.token, address, "call", method, "-d", json])
        }
        _ = await call(
            "cashback.v1.Admin/UpsertMerchant",
            #"{"merchantId":"shop-1","name":"Shop","currency":"EUR","shopperRateBps":250,"idempotencyKey":"k1"}"#)
        let published = await call(
            "cashback.v1.Admin/PublishRuleSet",
            #"{"merchantId":"shop-1","idempotencyKey":"r1","rules":{"baseRateBps":300,"#
                + #""categories":[{"category":"books","rateBps":800}]}}"#)
        #expect(Self.json(published).contains(#""version" : 2"#), "\(Self.json(published))")
        let quote = await call(
            "cashback.v1.Accruals/Quote",
            #"{"merchantId":"shop-1","memberId":"m1","currency":"EUR","orderedAtMs":1,"#
                + #""lines":[{"sku":"b1","category":"books","amountMinor":1000}]}"#)
        #expect(Self.json(quote).contains(#""rule" : "category:books""#), "\(Self.json(quote))")
        #expect(Self.json(quote).contains(#""cashbackMinor" : 80"#))
        let verify = await call("cashback.v1.Admin/Verify", "{}")
        #expect(Self.json(verify).contains(#""ok" : true"#), "\(Self.json(verify))")
        let missing = await call(
            "cashback.v1.Accruals/GetAccrual", #"{"merchantId":"shop-1","orderId":"o-9"}"#)
        #expect(missing.exitCode == 64 + 5)  // NOT_FOUND
        await server.stop()
    }

    @Test func listPrintsTheServicesAndMethodsTheServerServes() async throws {
        let server = try await TestServer.start()
        let result = await Self.run(["--plaintext", "--token", server.token, "127.0.0.1:\(server.port)", "list"])
        let lines = Self.output(result).split(separator: "\n").map(String.init)
        #expect(lines.contains("cashback.v1.Wallet"))
        #expect(lines.contains("  cashback.v1.Wallet/GetBalance"))
        #expect(lines.contains("  cashback.v1.Accruals/Accrue"))
        #expect(lines.contains("  grpc.health.v1.Health/Check"))
        let wallet = await Self.run(["--plaintext", "--token", server.token, "127.0.0.1:\(server.port)", "list", "cashback.v1.Wallet"])
        #expect(
            Self.output(wallet)
                == "cashback.v1.Wallet/FileClaim\ncashback.v1.Wallet/GetBalance\n"
                + "cashback.v1.Wallet/ListHistory\n"
                + "cashback.v1.Wallet/Redeem\n"
                + "cashback.v1.Wallet/RefundRedemption\ncashback.v1.Wallet/Withdraw\n")
        await server.stop()
    }

    @Test func describePrintsRequestAndResponseShapes() async throws {
        let server = try await TestServer.start()
        let result = await Self.run(
            ["--plaintext", "--token", server.token, "127.0.0.1:\(server.port)", "describe", "cashback.v1.Wallet/GetBalance"])
        let text = Self.output(result)
        #expect(text.contains(
            "rpc GetBalance(cashback.v1.GetBalanceRequest) returns (cashback.v1.GetBalanceResponse);"))
        #expect(text.contains("string member_id = 1;  // JSON: memberId"))
        #expect(text.contains("int64 pending_minor = 1;  // JSON: pendingMinor"))
        let missing = await Self.run(
            ["--plaintext", "--token", server.token, "127.0.0.1:\(server.port)", "describe", "cashback.v1.Wallet/Nope"])
        #expect(missing.exitCode == 64 + 5)
        await server.stop()
    }

    @Test func aStreamingCallPrintsOneJSONObjectPerMessage() async throws {
        let server = try await TestServer.start()
        let address = "127.0.0.1:\(server.port)"
        let call = { (method: String, json: String) in
            await Self.run(["--plaintext", "--token", server.token, address, "call", method, "-d", json])
        }
        for index in 1...3 {
            _ = await call(
                "cashback.v1.Admin/AdjustBalance",
                #"{"memberId":"m\#(index)","currency":"EUR","amountMinor":\#(index * 100),"#
                    + #""reason":"welcome","idempotencyKey":"k\#(index)"}"#)
        }
        let export = await call("cashback.v1.Admin/ExportJournal", #"{"limit":2}"#)
        #expect(export.exitCode == 0)
        let objects = Self.output(export).components(separatedBy: "\n}\n").filter { !$0.isEmpty }
        #expect(objects.count == 2, "\(Self.output(export))")
        #expect(objects.allSatisfy { $0.hasPrefix("{\n") && $0.contains(#""kind" : "manual-credit""#) })
        #expect(objects[1].contains(#""entryId" : 2"#))
        let refused = await call("cashback.v1.Admin/ExportJournal", #"{"afterEntryId":-1}"#)
        #expect(refused.exitCode == 64 + 3)
        #expect(refused.standardError.contains("afterEntryId"))

        let described = await Self.run(["describe", "cashback.v1.Admin/ExportJournal"])
        #expect(Self.output(described).contains(
            "rpc ExportJournal(cashback.v1.ExportJournalRequest) returns (stream cashback.v1.JournalEntry);"))
        await server.stop()
    }

    @Test func encodeWritesTheLengthPrefixedFrame() async {
        let result = await Self.run(
            ["encode", "cashback.v1.Wallet/GetBalance", "-d", #"{"memberId":"m1","currency":"EUR"}"#])
        #expect(result.standardOutput == [0, 0, 0, 0, 9, 0x0a, 0x02, 0x6d, 0x31, 0x12, 0x03, 0x45, 0x55, 0x52])
        #expect(result.exitCode == 0)
    }

    /// The executable passes a writer (output as it is printed): the frame must go through
    /// it too, or `cashback-probe encode … > body.bin` writes an empty file.
    @Test func encodeWritesTheFrameThroughTheOutputWriter() async {
        let (written, sink) = AsyncStream.makeStream(of: [UInt8].self)
        let result = await Probe.run(
            ["encode", "cashback.v1.Wallet/GetBalance", "-d", #"{"memberId":"m1","currency":"EUR"}"#],
            writeOutput: { sink.yield($0) })
        sink.finish()
        let bytes = await written.reduce([], +)
        #expect(bytes == [0, 0, 0, 0, 9, 0x0a, 0x02, 0x6d, 0x31, 0x12, 0x03, 0x45, 0x55, 0x52])
        #expect(result.standardOutput.isEmpty && result.exitCode == 0)
    }

    @Test func failedCallsPrintTheStatusAndExitWith64PlusTheCode() async throws {
        let server = try await TestServer.start()
        let result = await Self.run([
            "--plaintext", "--token", server.token, "127.0.0.1:\(server.port)", "call", "cashback.v1.Accruals/Confirm",
            "-d", #"{"merchantId":"shop-1","orderId":"o-1"}"#,
        ])
        #expect(result.exitCode == 64 + 5)
        #expect(result.standardError.hasPrefix("NOT_FOUND: "))
        #expect(result.standardOutput.isEmpty)
        await server.stop()
    }

    @Test(arguments: [
        (#"{"memberID":"m1"}"#, #"no field "memberID" at memberID (did you mean "memberId"?)"#),
        (#"{"memberld":"m1"}"#, #"(did you mean "memberId"?)"#),
        (#"{"zzzzzz":"m1"}"#, "(its fields: memberId, currency)"),
        (#"{"memberId":5}"#, "memberId"),
        ("not json", "-d is not a valid cashback.v1.GetBalanceRequest: not JSON: invalid value at line 1"),
        // Where the JSON breaks: line and column (in characters), and the byte.
        ("{\"currency\": \"EUR\",\n \"memberId\": \"é\", x}", "not JSON: invalid value at line 2, column 19 (byte 39)"),
        (#"{"memberId":"m1""#, "not JSON: the text ends inside a JSON value, at line 1, column 17 (byte 16)"),
        (#"{"memberId":"\q"}"#, "not JSON: invalid escape sequence at line 1, column 14 (byte 13)"),
        ("", "not JSON: the text is empty (an empty request is '{}')"),
        ("[1]", "-d is not a valid cashback.v1.GetBalanceRequest: expected a JSON object\n"),
    ])
    func badJSONIsAUsageErrorBeforeAnythingIsSent(_ json: String, _ expected: String) async {
        // No server listens on port 1: a request that were sent would fail UNAVAILABLE instead.
        let result = await Self.run(
            ["--plaintext", "127.0.0.1:1", "call", "cashback.v1.Wallet/GetBalance", "-d", json])
        #expect(result.exitCode == 2)
        #expect(result.standardError.contains(expected), "\(result.standardError)")
    }

    @Test func aCallWithoutATokenIsUnauthenticated() async throws {
        let server = try await TestServer.start()
        let call = ["call", "cashback.v1.Wallet/GetBalance", "-d", #"{"memberId":"m1"}"#]
        let address = "127.0.0.1:\(server.port)"
        // No --token; an empty --token counts as none, as an empty CASHBACK_TOKEN does.
        for tokenFlags in [[], ["--token", ""]] {
            let result = await Self.run(["--plaintext"] + tokenFlags + [address] + call)
            #expect(result.exitCode == 64 + 16)
            #expect(result.standardError.hasPrefix("UNAUTHENTICATED: "))
            #expect(result.standardError.contains("authorization: Bearer"))
        }
        let health = await Self.run(["--plaintext", address, "health"])
        #expect(Self.output(health) == "SERVING\n")
        await server.stop()
    }

    @Test func aTokenIsNeverSentInCleartextOffLoopback() async {
        // Refused before connecting, as a usage error (nothing was asked of any server):
        // nothing listens on 192.0.2.1 (TEST-NET-1) anyway.
        let result = await Self.run(
            ["--plaintext", "--token", "cbk_x", "192.0.2.1:50051", "health"])
        #expect(result.exitCode == 2)
        #expect(result.standardError.contains("refusing to send the token in cleartext"))
    }

    /// Flags a verb does not use, impossible values and malformed headers are usage errors,
    /// found before anything is sent, and a malformed header's value is never echoed (it may
    /// be a token).
    @Test(arguments: [
        (["health", "-d", #"{"service":"nope"}"#], "-d is the request of call, encode and bench"),
        (["list", "-d", "{}"], "-d is the request of call, encode and bench; list takes none"),
        (["-H", "Authorization Bearer cbk_secret", "health"], "-H 'Authorization…' is not"),
        (["-H", "x-a: caf\u{E9}", "health"], "-H 'x-a': its value must be printable ASCII"),
        (["--max-time", "0.0001", "health"], "--max-time must be 0.001 to 86400 seconds"),
        (["--connect-timeout", "0.0001", "health"], "--connect-timeout must be 0.001 to 3600"),
    ])
    func usageMistakesAreNamedBeforeAnythingIsSent(_ words: [String], _ expected: String) async {
        let result = await Self.run(["--plaintext", "127.0.0.1:1"] + words)
        #expect(result.exitCode == 2)
        #expect(result.standardError.contains(expected), "\(result.standardError)")
        #expect(!result.standardError.contains("cbk_secret"))
    }

    @Test func portZeroIsAUsageError() async {
        let result = await Self.run(["--plaintext", "127.0.0.1:0", "health"])
        #expect(result.exitCode == 2)
        #expect(result.standardError.contains("the port must be 1...65535, got 0"))
    }

    @Test func decodeSaysItReadsStandardInput() async {
        let result = await Self.run(["decode", "cashback.v1.GetBalanceRequest", "-d", "@x.bin"])
        #expect(result.exitCode == 2)
        #expect(result.standardError.contains("decode reads the bytes from standard input"))
    }

    /// JSON type mistakes are named in JSON's words, at the path as JSON writes it.
    @Test(arguments: [
        (#"{"merchantId":"s","orderId":"o","memberId":"m","amountMinor":1,"currency":"EUR","#
            + #""orderedAtMs":1,"segments":"x"}"#, "expected an array at segments"),
        (#"{"merchantId":"s","orderId":"o","memberId":"m","amountMinor":1,"currency":"EUR","#
            + #""orderedAtMs":1,"segments":[5]}"#, "expected a string at segments[0]"),
    ])
    func jsonTypeMistakesAreNamedInJSONWords(_ json: String, _ expected: String) async {
        let result = await Self.run(
            ["--plaintext", "127.0.0.1:1", "call", "cashback.v1.Accruals/Accrue", "-d", json])
        #expect(result.exitCode == 2)
        #expect(result.standardError.contains(expected), "\(result.standardError)")
    }

    @Test func helpListsEveryVerbWithAnExampleAndTheExitStatuses() async {
        let result = await Self.run(["--help"])
        #expect(result.exitCode == 0 && result.standardError.isEmpty)
        let help = Self.output(result)
        for verb in ["list", "describe", "call", "health", "encode", "decode", "bench"] {
            #expect(help.contains("\n  \(verb) "), "\(verb)")
            #expect(help.contains("cashback-probe \(verb) ") || help.contains(" \(verb)\n")
                || help.contains(" \(verb) cashback.v1") || help.contains("50051 \(verb)"), "\(verb)")
        }
        #expect(help.contains("EXIT STATUS: 0 on success; 64 + the gRPC status code"))
        #expect(help.contains("72 RESOURCE_EXHAUSTED, 78 UNAVAILABLE"))
        #expect(help.contains("--token <token>"))
        #expect(help.contains("-v, --verbose") && help.contains("--format <text|json>"))
        #expect(help.contains("cashback-probe -v --plaintext 127.0.0.1:50051 health"))
        #expect(help.contains("cashback-probe --format json --plaintext 127.0.0.1:50051"))
    }

    @Test func decodeReadsAFrameOrAPayload() async throws {
        let frame = await Self.run(
            ["encode", "cashback.v1.Wallet/GetBalance", "-d", #"{"memberId":"m1","currency":"EUR"}"#])
        let json = "{\n  \"currency\" : \"EUR\",\n  \"memberId\" : \"m1\"\n}\n"
        let fromFrame = await Probe.run(["decode", "cashback.v1.GetBalanceRequest"]) {
            frame.standardOutput
        }
        #expect(Self.output(fromFrame) == json)
        let fromPayload = await Probe.run(["decode", "cashback.v1.GetBalanceRequest"]) {
            Array(frame.standardOutput.dropFirst(5))
        }
        #expect(Self.output(fromPayload) == json)
        // A method name decodes its response.
        let response = await Probe.run(["decode", "cashback.v1.Wallet/GetBalance"]) { [0x08, 0x0a] }  // zigzag 5
        #expect(Self.output(response).contains(#""pendingMinor" : 5"#))
        let garbage = await Probe.run(["decode", "cashback.v1.GetBalanceRequest"]) { [0xff] }
        #expect(garbage.exitCode == 2)
        #expect(
            garbage.standardError.hasPrefix(
                "usage: standard input is not a valid cashback.v1.GetBalanceRequest: varint is "
                    + "truncated (at byte 0)\n"), "\(garbage.standardError)")
    }

    @Test(arguments: [
        ("content-type: application/grpc", "-H cannot set 'content-type'"),
        ("te: trailers", "-H cannot set 'te'"),
        (":path: /x", "-H cannot set ':path'"),
        ("authorization: Bearer x", "use --token"),
        ("grpc-timeout: 1S", "use --max-time"),
    ])
    func transportHeadersAreRefusedByName(_ header: String, _ expected: String) async {
        let result = await Self.run(["--plaintext", "-H", header, "127.0.0.1:1", "health"])
        #expect(result.exitCode == 2)
        #expect(result.standardError.contains(expected), "\(result.standardError)")
    }

    /// Known only once connected (it is the server's SETTINGS_MAX_HEADER_LIST_SIZE), and
    /// refused before anything is sent, naming both sizes.
    @Test func metadataOverTheServersHeaderListLimitIsNamed() async throws {
        let server = try await TestServer.start()
        let result = await Self.run([
            "--plaintext", "-H", "x-big: " + String(repeating: "a", count: 20_000),
            "127.0.0.1:\(server.port)", "health",
        ])
        #expect(result.exitCode == 64 + 8)
        #expect(result.standardError.hasPrefix("RESOURCE_EXHAUSTED: the request's header list is 20"))
        #expect(
            result.standardError.hasSuffix(
                " bytes as HTTP/2 counts it; the server accepts at most "
                    + "\(RPCLimits.default.headerListBytesMax) (its SETTINGS_MAX_HEADER_LIST_SIZE): "
                    + "send less metadata\n"), "\(result.standardError)")
        await server.stop()
    }

    @Test(arguments: [["--version"], ["--version", "--plaintext"], ["--plaintext", "--version"]])
    func versionPrintsTheRelease(_ arguments: [String]) async {
        let result = await Self.run(arguments)
        #expect(Self.output(result) == CashbackRelease.version + "\n" && result.exitCode == 0)
    }

    /// ArgumentParser's own errors come with the tool's usage, under its own name, and a
    /// negative number is named as such (ArgumentParser takes it for an option).
    @Test(arguments: [
        (["--bogus"], "usage: Unknown option '--bogus'\n\ncashback-probe [FLAGS] HOST:PORT"),
        (["--max-time", "-1", "127.0.0.1:1", "health"], "--max-time takes a positive value, got -1"),
    ])
    func parseErrorsUseTheToolsUsage(_ arguments: [String], _ expected: String) async {
        let result = await Self.run(arguments)
        #expect(result.exitCode == 2)
        #expect(result.standardError.contains(expected), "\(result.standardError)")
        #expect(!result.standardError.contains("probe [<options>]"))
    }

    @Test func anUnreachableServerIsUnavailable() async {
        let result = await Self.run(["--plaintext", "127.0.0.1:1", "health"])
        #expect(result.exitCode == 64 + 14)
        #expect(result.standardError.hasPrefix("UNAVAILABLE: "))
    }

    @Test(arguments: [
        [], ["--plaintext", "127.0.0.1:1"], ["fly"], ["--plaintext", "127.0.0.1:1", "call"],
        ["--plaintext", "--cacert", "ca.pem", "127.0.0.1:1", "health"],
        ["--plaintext", "--insecure", "127.0.0.1:1", "health"],
        ["--cert", "client.pem", "127.0.0.1:1", "health"],
        ["--plaintext", "nohost", "health"], ["list"],
        ["--plaintext", "127.0.0.1:1", "health", "a", "b"], ["--bogus"],
        ["--plaintext", "127.0.0.1:1", "-H", "te: x", "health"],
        ["--plaintext", "127.0.0.1:1", "-H", "x-a: line\nbreak", "health"],
        ["--plaintext", "127.0.0.1:1", "-H", "Bad Name: v", "health"],
        ["--plaintext", "127.0.0.1:1", "-H", "no-colon", "health"],
        ["--plaintext", "127.0.0.1:1", "--max-time", "0", "health"],
        ["--plaintext", "127.0.0.1:1", "--connect-timeout", "1e30", "health"],
        ["--plaintext", "--token", "cbk_a b", "127.0.0.1:1", "health"],
    ])
    func usageErrorsExitWith2(_ arguments: [String]) async {
        let result = await Self.run(arguments)
        #expect(result.exitCode == 2)
        #expect(!result.standardError.isEmpty)
    }

    @Test func unknownMethodsAreUsageErrors() async {
        let result = await Self.run(["encode", "cashback.v1.Wallet/Steal", "-d", "{}"])
        #expect(result.exitCode == 2)
        #expect(result.standardError.contains("unknown method cashback.v1.Wallet/Steal"))
        let typo = await Self.run(["encode", "cashback.v1.Wallet/GetBalanse", "-d", "{}"])
        #expect(typo.standardError.contains("(did you mean cashback.v1.Wallet/GetBalance?)"))
    }

    @Test func aRefusedConnectionSaysSo() async {
        let result = await Self.run(["--plaintext", "127.0.0.1:1", "health"])
        #expect(result.exitCode == 64 + 14)
        #expect(
            result.standardError.hasPrefix(
                "UNAVAILABLE: cannot connect to 127.0.0.1:1: connection refused — is cashbackd "
                    + "running?"))
    }
}

/// The probe over TLS (the default without `--plaintext`): `--cacert`, `--insecure`, `--cert`
/// and `--key`.
@Suite(.timeLimit(.minutes(1))) struct ProbeTLSTests {
    @Test func healthOverTLSWithTheTestCA() async throws {
        let certificates = try TestCertificates.shared()
        let server = try await TestServer.start(
            tls: try TLSServerCredentials(certificates.server()))
        let address = "127.0.0.1:\(server.port)"
        let trusted = await ProbeTests.run(["--cacert", certificates.path("ca.pem"), address, "health"])
        #expect(ProbeTests.output(trusted) == "SERVING\n")
        #expect(trusted.exitCode == 0)
        let insecure = await ProbeTests.run(["--insecure", address, "health"])
        #expect(ProbeTests.output(insecure) == "SERVING\n")
        // Without the CA the system's roots do not know the test CA.
        let untrusted = await ProbeTests.run([address, "health"])
        #expect(untrusted.exitCode == 64 + 14)
        #expect(untrusted.standardError.contains("the server's certificate was not accepted"))
        // A cleartext probe against a TLS server fails rather than hangs.
        let cleartext = await ProbeTests.run(["--plaintext", address, "health"])
        #expect(cleartext.exitCode == 64 + 14)
        await server.stop()
    }

    @Test func mutualTLSWithCertAndKey() async throws {
        let certificates = try TestCertificates.shared()
        let server = try await TestServer.start(
            tls: try TLSServerCredentials(certificates.server(clientCA: "ca.pem")))
        let address = "127.0.0.1:\(server.port)"
        let ca = certificates.path("ca.pem")
        let admitted = await ProbeTests.run([
            "--cacert", ca, "--cert", certificates.path("client.pem"),
            "--key", certificates.path("client.key"), address, "health",
        ])
        #expect(ProbeTests.output(admitted) == "SERVING\n")
        let refused = await ProbeTests.run(["--cacert", ca, address, "health"])
        #expect(refused.exitCode == 64 + 14)
        await server.stop()
    }

    @Test func anUnreadableCAFileIsNamed() async {
        let result = await ProbeTests.run(["--cacert", "/nonexistent/ca.pem", "127.0.0.1:1", "health"])
        #expect(result.exitCode == 1)
        #expect(result.standardError.contains("cannot load the CA file /nonexistent/ca.pem"))
    }
}
