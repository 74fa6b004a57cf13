import CashbackClient
import CashbackTestSupport
import Foundation
@testable import ProbeKit
import Testing

/// `cashback-probe bench`: its flags, templates, figures and reports, and real runs against a
/// server on loopback.
@Suite(.timeLimit(.minutes(2))) struct BenchTests {
    static let getBalance = ["bench", "cashback.v1.Wallet/GetBalance", "-d", #"{"memberId":"m1","currency":"EUR"}"#]

    // MARK: Flags

    @Test(arguments: [
        ([String](), "bench needs -n CALLS or -z DURATION"),
        (["-n", "5", "-z", "1s"], "bench takes -n or -z, not both"),
        (["-n", "0"], "-n (calls in all) must be from 1 to 10000000, got 0"),
        (["-n", "10000001"], "-n (calls in all) must be from 1 to 10000000, got 10000001"),
        (["-n", "1", "-c", "0"], "-c (connections) must be from 1 to 256, got 0"),
        (["-n", "1", "-c", "257"], "-c (connections) must be from 1 to 256, got 257"),
        (["-n", "1", "-m", "1001"], "-m (concurrent calls per connection) must be from 1 to 1000"),
        (["-n", "1", "-c", "100", "-m", "1000"], "-c × -m is 100000 concurrent calls; at most 10000"),
        (["-z", "10"], "-z '10' needs a number and a unit, ms, s or m"),
        (["-z", "2h"], "-z '2h' needs a number and a unit"),
        (["-z", "s"], "-z 's' does not start with a number"),
        (["-z", "61m"], "-z must be from 1ms to 1h, got 61m"),
        (["-z", "0ms"], "-z must be from 1ms to 1h, got 0ms"),
        (["-n", "1", "--format", "xml"], "--format must be text or json, got 'xml'"),
    ])
    func flagsOutOfBoundsAreUsageErrors(_ flags: [String], _ expected: String) async {
        // Nothing listens on port 1: a run that started would fail UNAVAILABLE instead.
        let result = await ProbeTests.run(["--plaintext", "127.0.0.1:1"] + Self.getBalance + flags)
        #expect(result.exitCode == 2)
        #expect(result.standardError.hasPrefix("usage: \(expected)"), "\(result.standardError)")
    }

    @Test(arguments: [
        (["call", "cashback.v1.Wallet/GetBalance", "-n", "5"], "-c, -m, -n, -z and --seed apply to bench only"),
        (["call", "cashback.v1.Wallet/GetBalance", "--seed", "5"], "-c, -m, -n, -z and --seed apply to bench only"),
        (["bench", "cashback.v1.Admin/ExportJournal", "-n", "1"],
         "bench drives unary methods; cashback.v1.Admin/ExportJournal is server-streaming"),
        (["bench", "cashback.v1.Wallet/GetBalanse", "-n", "1"], "(did you mean cashback.v1.Wallet/GetBalance?)"),
        (["bench", "cashback.v1.Wallet/GetBalance", "-n", "1", "-d", #"{"memberID":"m{{n}}"}"#],
         #"-d is not a valid cashback.v1.GetBalanceRequest: cashback.v1.GetBalanceRequest has no field "memberID""#),
        (["bench", "cashback.v1.Wallet/GetBalance", "-n", "1", "-d", #"{"memberId":"{{id}}"}"#],
         "-d has an unknown placeholder {{id}}: bench knows {{n}} (the request number), {{worker}} "
            + "(the worker index) and {{random:N}} (an integer drawn uniformly, 0 ≤ value < N)"),
        (["bench", "cashback.v1.Wallet/GetBalance", "-n", "1", "-d", #"{"memberId":"{{n"}"#],
         "-d has '{{' without '}}'"),
    ])
    func localMistakesAreUsageErrorsBeforeConnecting(_ words: [String], _ expected: String) async {
        let result = await ProbeTests.run(["--plaintext", "127.0.0.1:1"] + words)
        #expect(result.exitCode == 2)
        #expect(result.standardError.contains(expected), "\(result.standardError)")
    }

    /// `{{random:N}}` takes N as a plain whole number from 1 to 10¹²; anything else names the
    /// placeholder and the range.
    @Test(arguments: [
        "random", "random:", "random:0", "random:1000000000001", "random:-5", "random:+5",
        "random:1e3", "random: 5", "random:5x", "random:99999999999999999999999",
    ])
    func randomBoundsOutOfRangeAreUsageErrors(_ placeholder: String) async {
        let result = await ProbeTests.run([
            "--plaintext", "127.0.0.1:1", "bench", "cashback.v1.Wallet/GetBalance", "-n", "1", "-d",
            #"{"memberId":"m{{"# + placeholder + #"}}"}"#,
        ])
        #expect(result.exitCode == 2)
        #expect(
            result.standardError.hasPrefix(
                "usage: -d has {{\(placeholder)}}: write {{random:N}} with N a whole number from 1 to "
                    + "1000000000000 (the value drawn is 0 ≤ value < N)"),
            "\(result.standardError)")
    }

    @Test(arguments: ["-1", "x", "18446744073709551616"])
    func aSeedThatIsNotAnUnsigned64BitNumberIsAUsageError(_ seed: String) async {
        let result = await ProbeTests.run(
            ["--plaintext", "127.0.0.1:1"] + Self.getBalance + ["-n", "1", "--seed", seed])
        #expect(result.exitCode == 2)
        #expect(result.standardError.contains("--seed"), "\(result.standardError)")
    }

    @Test func anUnreachableServerFailsTheRunAsCallWould() async {
        let result = await ProbeTests.run(["--plaintext", "127.0.0.1:1"] + Self.getBalance + ["-n", "10", "-c", "2"])
        #expect(result.exitCode == 64 + 14)
        #expect(
            result.standardError.hasPrefix(
                "UNAVAILABLE: cannot connect to 127.0.0.1:1: connection refused — is cashbackd running?"))
        #expect(result.standardOutput.isEmpty)
    }

    @Test(arguments: [
        ("10s", Duration.seconds(10)), ("500ms", .milliseconds(500)), ("1m", .seconds(60)),
        ("1.5s", .milliseconds(1_500)), ("0.25ms", .microseconds(250)),
    ])
    func durationsTakeAUnit(_ text: String, _ expected: Duration) throws {
        #expect(try BenchPlan.parseDuration(text) == expected)
    }

    // MARK: Templates

    @Test func placeholdersAreSubstitutedAsText() throws {
        var random = BenchRandom(seed: 1, worker: 0)
        let template = try BenchTemplate(Array(#"{{n}}{"orderId":"o-{{n}}","memberId":"w{{worker}}"}{{worker}}"#.utf8))
        #expect(!template.isConstant)
        #expect(
            String(decoding: template.render(number: 1234, worker: 7, random: &random), as: UTF8.self)
                == #"1234{"orderId":"o-1234","memberId":"w7"}7"#)
        let constant = try BenchTemplate(Array(#"{"memberId":"m1"}"#.utf8))
        #expect(constant.isConstant)
        #expect(constant.render(number: 9, worker: 9, random: &random) == Array(#"{"memberId":"m1"}"#.utf8))
    }

    /// Each `{{random:N}}` draws the worker generator's next value, in the order they appear.
    @Test func randomPlaceholdersDrawFromTheWorkersGenerator() throws {
        let template = try BenchTemplate(
            Array(#"{"memberId":"member-{{random:10000}}","amountMinor":{{random:1000000000000}}}"#.utf8))
        #expect(template.parts.contains(.random(bound: 10_000)))
        #expect(!template.isConstant)
        var random = BenchRandom(seed: 42, worker: 3)
        var expected = BenchRandom(seed: 42, worker: 3)
        for _ in 0..<3 {
            let member = expected.next(below: 10_000)
            let amount = expected.next(below: 1_000_000_000_000)
            #expect(
                String(decoding: template.render(number: 0, worker: 3, random: &random), as: UTF8.self)
                    == #"{"memberId":"member-\#(member)","amountMinor":\#(amount)}"#)
        }
        // The bounds at the ends of the range are accepted.
        #expect(try BenchTemplate(Array("{{random:1}}".utf8)).parts == [.random(bound: 1)])
        #expect(
            try BenchTemplate(Array("{{random:1000000000000}}".utf8)).parts
                == [.random(bound: 1_000_000_000_000)])
    }

    @Test func aConstantRequestIsEncodedOnceAndATemplateForEachCall() throws {
        let schema = try Invocation.method(named: "cashback.v1.Wallet/GetBalance")
        let constant = try BenchRequests(json: Array(#"{"memberId":"m1"}"#.utf8), method: schema)
        let once = try Invocation.encodeRequest(Array(#"{"memberId":"m1"}"#.utf8), for: schema)
        var random = BenchRandom(seed: 9, worker: 3)
        #expect(try constant.bytes(number: 5, worker: 3, random: &random) == once)
        let template = try BenchRequests(
            json: Array(#"{"memberId":"m{{n}}-{{worker}}-{{random:100}}"}"#.utf8), method: schema)
        var expected = BenchRandom(seed: 9, worker: 3)
        #expect(
            try template.bytes(number: 5, worker: 3, random: &random)
                == Invocation.encodeRequest(
                    Array(#"{"memberId":"m5-3-\#(expected.next(below: 100))"}"#.utf8), for: schema))
    }

    /// Without `--seed` each run draws a seed of its own (two alike: 1 chance in 2⁶⁴).
    @Test func aRunWithoutSeedDrawsOne() throws {
        let options = try ProbeOptions.parse(["-n", "1"])
        #expect(try BenchPlan(options: options).seed != BenchPlan(options: options).seed)
        #expect(try BenchPlan(options: ProbeOptions.parse(["-n", "1", "--seed", "0"])).seed == 0)
    }

    @Test func workersAreNumberedAcrossConnections() {
        let indices = (0..<3).flatMap { connection in
            (0..<4).map { BenchRunner.workerIndex(connection: connection, slot: $0, callsPerConnection: 4) }
        }
        #expect(indices == Array(0..<12))
    }

    @Test func requestNumbersAreHandedOutOnceUpToTheCount() async {
        let clock = ContinuousClock()
        let numbers = RequestNumbers(.count(1_000), start: clock.now)
        let taken = await withTaskGroup(of: [Int].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var mine: [Int] = []
                    while let number = numbers.next(now: clock.now) { mine.append(number) }
                    return mine
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(taken.sorted() == Array(0..<1_000))
        let timed = RequestNumbers(.duration(.seconds(1)), start: clock.now)
        #expect(timed.next(now: clock.now) == 0)
        #expect(timed.next(now: clock.now.advanced(by: .seconds(2))) == nil)
    }

    // MARK: Figures and reports

    /// Calls of 1, 2, … 1000 µs, half of them failed RESOURCE_EXHAUSTED.
    static func knownTally() -> BenchTally {
        var tally = BenchTally()
        for microseconds in 1...1_000 {
            tally.record(
                latency: .microseconds(microseconds),
                status: microseconds.isMultiple(of: 2) ? .ok : .resourceExhausted)
        }
        return tally
    }

    static func knownReport() throws -> BenchReport {
        let plan = try BenchPlan(
            options: ProbeOptions.parse(["-n", "1000", "-c", "2", "-m", "4", "--seed", "20261130"]))
        return BenchReport(
            method: "cashback.v1.Wallet/GetBalance", plan: plan, tally: knownTally(),
            duration: .milliseconds(500))
    }

    @Test func percentilesOfAKnownSample() throws {
        let report = try Self.knownReport()
        #expect(report.count == 1_000)
        #expect(report.latencyUs == .init(min: 1, mean: 500.5, p50: 500, p90: 900, p99: 990, max: 1_000))
        #expect(report.requestsPerSecond == 2_000)
        #expect(report.statuses == ["OK": 500, "RESOURCE_EXHAUSTED": 500])
        // Ten buckets of equal width from 1 to 1000 µs, a hundred calls each.
        #expect(report.histogram.map(\.toUs) == [100, 200, 300, 400, 500, 600, 700, 800, 900, 1_000])
        #expect(report.histogram.allSatisfy { $0.count == 100 })
    }

    /// Calls that all took the same time make one bucket, not ten with the same bound.
    @Test func identicalLatenciesMakeOneBucket() throws {
        var tally = BenchTally()
        for _ in 0..<50 { tally.record(latency: .microseconds(828), status: .ok) }
        let plan = try BenchPlan(options: ProbeOptions.parse(["-n", "50"]))
        let report = BenchReport(
            method: "cashback.v1.Wallet/GetBalance", plan: plan, tally: tally,
            duration: .milliseconds(50))
        #expect(report.histogram.map(\.toUs) == [828])
        #expect(report.histogram.map(\.count) == [50])
    }

    @Test func latenciesAreRoundedToTheMicrosecond() {
        #expect(BenchTally.microseconds(.nanoseconds(1_499)) == 1)
        #expect(BenchTally.microseconds(.nanoseconds(1_500)) == 2)
        #expect(BenchTally.microseconds(.seconds(3) + .microseconds(7)) == 3_000_007)
        #expect(BenchReport.milliseconds(1_234) == "1.234")
        #expect(BenchReport.milliseconds(5) == "0.005")
    }

    @Test func theTextReportShowsFiguresHistogramAndStatuses() throws {
        let lines = try Self.knownReport().text().split(separator: "\n").map(String.init)
        #expect(lines.contains("  Count:        1000"))
        #expect(lines.contains("  Seed:         20261130"))
        #expect(lines.contains("  Requests/sec: 2000.00"))
        #expect(lines.contains("  p99:     0.990"))
        #expect(lines.contains("  Mean:    0.500"))
        #expect(lines.contains("  0.100 [100] |" + String(repeating: "∎", count: 40)))
        #expect(lines.contains("  1.000 [100] |" + String(repeating: "∎", count: 40)))
        #expect(lines.contains("  [OK]                 500 responses"))
        #expect(lines.contains("  [RESOURCE_EXHAUSTED] 500 responses"))
    }

    @Test func theJSONReportParsesBack() throws {
        let report = try Self.knownReport()
        let line = JSONLine.encode(report)
        #expect(!line.contains("\n"))
        let json = Data(line.utf8)
        #expect(try JSONDecoder().decode(BenchReport.self, from: json) == report)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "method", "connections", "callsPerConnection", "seed", "count", "durationUs",
                "requestsPerSecond", "latencyUs", "statuses", "histogram",
            ])
        #expect(object["durationUs"] as? Int == 500_000)
        #expect(object["seed"] as? Int == 20_261_130)
        let latency = try #require(object["latencyUs"] as? [String: Any])
        #expect(Set(latency.keys) == ["min", "mean", "p50", "p90", "p99", "max"])
        #expect(latency["p90"] as? Int == 900)
        let buckets = try #require(object["histogram"] as? [[String: Any]])
        #expect(buckets.count == BenchReport.bucketCount)
        #expect(buckets.first?["toUs"] as? Int == 100)
    }

    // MARK: Real runs

    /// The probe run with `words` against `server`, in cleartext with its token.
    static func probe(_ server: TestServer, _ words: [String]) async -> ProbeResult {
        await ProbeTests.run(["--plaintext", "--token", server.token, "127.0.0.1:\(server.port)"] + words)
    }

    /// A merchant `shop-1` on a new test server.
    static func serverWithMerchant() async throws -> TestServer {
        let server = try await TestServer.start()
        let upsert = await probe(server, [
            "call", "cashback.v1.Admin/UpsertMerchant", "-d",
            #"{"merchantId":"shop-1","name":"Shop","currency":"EUR","shopperRateBps":250,"idempotencyKey":"k1"}"#,
        ])
        #expect(upsert.exitCode == 0, "\(upsert.standardError)")
        return server
    }

    /// 200 Accrues for one member from 2 connections × 4 calls: the velocity limit (100 new
    /// accruals per member per hour) lets exactly 100 through. Each order id is unique, or a
    /// repeated one would be answered as a replay (OK, no new accrual, not counted by the
    /// limit) and the split would differ.
    @Test func aRunCountsEveryCallAndItsStatus() async throws {
        let server = try await Self.serverWithMerchant()
        let result = await Self.probe(server, [
            "bench", "cashback.v1.Accruals/Accrue",
            "-n", "200", "-c", "2", "-m", "4", "--format", "json", "-d",
            #"{"merchantId":"shop-1","orderId":"bench-{{n}}","memberId":"m1","amountMinor":1000,"#
                + #""currency":"EUR","orderedAtMs":1700000000000}"#,
        ])
        #expect(result.exitCode == 0, "\(result.standardError)")
        let report = try JSONDecoder().decode(BenchReport.self, from: Data(result.standardOutput))
        #expect(report.count == 200)
        #expect(report.statuses == ["OK": 100, "RESOURCE_EXHAUSTED": 100])
        #expect(report.connections == 2 && report.callsPerConnection == 4)
        #expect(report.histogram.map(\.count).reduce(0, +) == 200)
        #expect(report.latencyUs.min <= report.latencyUs.p50 && report.latencyUs.p99 <= report.latencyUs.max)

        let verify = await Self.probe(server, ["call", "cashback.v1.Admin/Verify", "-d", "{}"])
        #expect(ProbeTests.output(verify).contains(#""accruals" : 100,"#), "\(ProbeTests.output(verify))")
        #expect(ProbeTests.output(verify).contains(#""ok" : true"#))
        await server.stop()
    }

    /// Worker indices reach the server: 200 Accrues from 2 × 4 workers, each worker's for a
    /// member of its own, all pass the velocity limit (100 per member: so more than one member
    /// was used) and book 200 accruals, all to members w0…w7.
    @Test func workerIndicesReachTheServer() async throws {
        let server = try await Self.serverWithMerchant()
        let result = await Self.probe(server, [
            "bench", "cashback.v1.Accruals/Accrue",
            "-n", "200", "-c", "2", "-m", "4", "-d",
            #"{"merchantId":"shop-1","orderId":"o-{{n}}","memberId":"w{{worker}}","amountMinor":1000,"#
                + #""currency":"EUR","orderedAtMs":1700000000000}"#,
        ])
        #expect(result.exitCode == 0, "\(result.standardError)")
        #expect(ProbeTests.output(result).contains("\n  Count:        200\n"), "\(ProbeTests.output(result))")
        #expect(ProbeTests.output(result).contains("\n  [OK] 200 responses"))
        var pendingMinor = 0
        for worker in 0..<8 {
            let balance = await Self.probe(server, [
                "call", "cashback.v1.Wallet/GetBalance", "-d", #"{"memberId":"w\#(worker)","currency":"EUR"}"#,
            ])
            let object = try JSONSerialization.jsonObject(with: Data(balance.standardOutput)) as? [String: Any]
            pendingMinor += object?["pendingMinor"] as? Int ?? -1
        }
        // 1000 minor units at 250 bps: 25 each.
        #expect(pendingMinor == 200 * 25)
        await server.stop()
    }

    /// `{{random:N}}` reaches the server, drawn as the seed says: 60 Accrues from one worker
    /// (`-c 1 -m 1`, so the run's values are exactly worker 0's stream for `--seed 7`), each
    /// for member r0, r1 or r2, book on each member 25 per draw that named it.
    @Test func randomValuesReachTheServerAsTheSeedDrawsThem() async throws {
        let server = try await Self.serverWithMerchant()
        let result = await Self.probe(server, [
            "bench", "cashback.v1.Accruals/Accrue", "-n", "60", "--seed", "7", "--format", "json",
            "-d",
            #"{"merchantId":"shop-1","orderId":"o-{{n}}","memberId":"r{{random:3}}","amountMinor":1000,"#
                + #""currency":"EUR","orderedAtMs":1700000000000}"#,
        ])
        #expect(result.exitCode == 0, "\(result.standardError)")
        let report = try JSONDecoder().decode(BenchReport.self, from: Data(result.standardOutput))
        #expect(report.seed == 7)
        #expect(report.statuses == ["OK": 60])
        let drawn = BenchRandomTests.draws(seed: 7, below: 3, count: 60)
        for member in 0..<3 {
            let balance = await Self.probe(server, [
                "call", "cashback.v1.Wallet/GetBalance", "-d", #"{"memberId":"r\#(member)","currency":"EUR"}"#,
            ])
            let object = try JSONSerialization.jsonObject(with: Data(balance.standardOutput)) as? [String: Any]
            // 1000 minor units at 250 bps: 25 each.
            #expect(
                object?["pendingMinor"] as? Int == 25 * drawn.filter { $0 == UInt64(member) }.count, "r\(member)")
        }
        await server.stop()
    }
}
