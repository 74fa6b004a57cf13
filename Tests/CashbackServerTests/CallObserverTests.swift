import CashbackAPI
import CashbackClient
@testable import CashbackServer
import CashbackTestSupport
import Foundation
import Logging
import Prometheus
import RPC
import Testing

/// The router's observer on the real Cashback router, in process: every call ends up counted
/// under its method and status, timed, and logged once, with the caller's name and never the
/// token.
@Suite(.timeLimit(.minutes(1))) struct CallObserverTests {
    /// The Cashback router over a real ledger, observed into a fresh registry and an access log
    /// on a pipe.
    struct Fixture {
        let server: TestServer
        let registry = PrometheusCollectorRegistry()
        let log = keptOpenPipe()
        let sink: LogSink
        let observer: CallObserver
        let transport: InProcessClientTransport

        init() async throws {
            server = try await TestServer.start()
            sink = LogSink(fileDescriptor: log.fileHandleForWriting.fileDescriptor, linger: 0)
            observer = CallObserver(
                factory: ServerMetrics.prometheusFactory(registry: registry),
                accessLog: AccessLog(sink: sink, format: .json))
            let router = CashbackServer.makeRouter(
                ledger: server.ledger, tokens: server.ledger.accessTokens,
                logger: Logger(label: "test"), observer: observer)
            transport = InProcessClientTransport(router: router)
        }

        /// The access lines written so far, as JSON objects (the raw line kept too).
        func accessLines(count: Int) throws -> [(raw: String, fields: [String: Any])] {
            sink.flush()
            var text = ""
            while text.split(separator: "\n").count < count {
                text += String(decoding: log.fileHandleForReading.availableData, as: UTF8.self)
            }
            return try text.split(separator: "\n").map { line in
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
                return (String(line), try #require(object as? [String: Any]))
            }
        }
    }

    @Test func countsTimesAndLogsEveryCall() async throws {
        let fixture = try await Fixture()
        let client = CashbackClient(transport: fixture.transport, token: fixture.server.token)
        let balance = CashbackV1.GetBalanceRequest(memberID: "m1", currency: "EUR")
        _ = try await client.wallet.getBalance(
            balance, options: CallOptions(metadata: Metadata([("x-request-id", "trace-42")])))
        _ = try await client.wallet.getBalance(balance)
        await #expect(throws: RPCError.self) {
            _ = try await client.accruals.confirm(.init(merchantID: "shop-1", orderID: "nope"))
        }
        await #expect(throws: RPCError.self) {
            _ = try await CashbackClient(transport: fixture.transport).wallet.getBalance(balance)
        }
        await #expect(throws: RPCError.self) {
            _ = try await fixture.transport.unary(
                MethodDescriptor(service: "evil\nservice", method: "x"), request: [],
                options: CallOptions())
        }

        // Each thread's tally reaches the registry when collected (before a scrape).
        #expect(
            try PrometheusText(fixture.registry.emitToString())[
                "cashback_rpc_requests_total",
                ["method": "cashback.v1.Wallet/GetBalance", "code": "OK"]] == 0)
        fixture.observer.collect()
        let scrape = try PrometheusText(fixture.registry.emitToString())
        let getBalance = "cashback.v1.Wallet/GetBalance"
        #expect(scrape["cashback_rpc_requests_total", ["method": getBalance, "code": "OK"]] == 2)
        #expect(
            scrape["cashback_rpc_requests_total", ["method": getBalance, "code": "UNAUTHENTICATED"]]
                == 1)
        #expect(
            scrape[
                "cashback_rpc_requests_total",
                ["method": "cashback.v1.Accruals/Confirm", "code": "NOT_FOUND"]] == 1)
        #expect(
            scrape["cashback_rpc_requests_total", ["method": "unknown", "code": "UNIMPLEMENTED"]]
                == 1)
        // A status no call ended with is not in the scrape at all.
        #expect(
            scrape["cashback_rpc_requests_total", ["method": getBalance, "code": "INTERNAL"]]
                == nil)
        // Every call of the method is timed, refused ones too; in process they take far less
        // than the last finite bucket.
        let duration = "cashback_rpc_request_duration_seconds"
        #expect(scrape[duration + "_count", ["method": getBalance]] == 3)
        #expect(scrape[duration + "_bucket", ["method": getBalance, "le": "10.0"]] == 3)
        #expect(scrape[duration + "_bucket", ["method": getBalance, "le": "+Inf"]] == 3)
        #expect(try #require(scrape[duration + "_sum", ["method": getBalance]]) > 0)

        let lines = try fixture.accessLines(count: 5)
        #expect(lines.count == 5)
        for line in lines {
            #expect(!line.raw.contains(fixture.server.token))
            #expect(!line.raw.contains("cbk_"))
            #expect(line.fields["label"] as? String == AccessLog.label)
            #expect(line.fields["level"] as? String == "info")
            #expect(line.fields["peer"] as? String == "in-process")
            #expect(line.fields["durationMilliseconds"] is NSNumber)
            #expect((line.fields["requestId"] as? String)?.isEmpty == false)
        }
        #expect(lines[0].fields["requestId"] as? String == "trace-42")
        #expect(lines[1].fields["requestId"] as? String != lines[2].fields["requestId"] as? String)
        // Made here: a prefix of the process, then a counter, in hex.
        let made = try #require(lines[1].fields["requestId"] as? String)
        #expect(made.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]+/) != nil, "\(made)")
        #expect(lines[0].fields["actor"] as? String == "test-admin")
        #expect(lines[0].fields["method"] as? String == getBalance)
        #expect(lines[0].fields["status"] as? String == "OK")
        #expect(lines[2].fields["status"] as? String == "NOT_FOUND")
        #expect(lines[3].fields["actor"] == nil)
        #expect(lines[3].fields["status"] as? String == "UNAUTHENTICATED")
        // A path no method serves is logged as printable text, never as a line of its own.
        #expect(lines[4].fields["method"] as? String == "evil?service/x")
        #expect(lines[4].fields["status"] as? String == "UNIMPLEMENTED")
        await fixture.server.stop()
    }

    @Test func aThreadAddsItsTallyWhenItHoldsABatch() throws {
        let registry = PrometheusCollectorRegistry()
        let tallies = CallTallies(factory: ServerMetrics.prometheusFactory(registry: registry))
        let slot = tallies.register(label: "test.Echo/Say")
        let ok = ["method": "test.Echo/Say", "code": "OK"]
        for _ in 2..<CallTallies.latenciesPerBatch {
            tallies.record(slot: slot, code: .ok, seconds: 0.001)
        }
        tallies.record(slot: slot, code: .notFound, seconds: 20)
        #expect(try PrometheusText(registry.emitToString())["cashback_rpc_requests_total", ok] == 0)
        // The batch is full: this call's thread adds it, without a collect.
        tallies.record(slot: slot, code: .ok, seconds: 0.001)
        let scrape = try PrometheusText(registry.emitToString())
        #expect(scrape["cashback_rpc_requests_total", ok] == Double(CallTallies.latenciesPerBatch - 1))
        #expect(
            scrape["cashback_rpc_requests_total", ["method": "test.Echo/Say", "code": "NOT_FOUND"]]
                == 1)
        let duration = "cashback_rpc_request_duration_seconds"
        #expect(
            scrape[duration + "_count", ["method": "test.Echo/Say"]]
                == Double(CallTallies.latenciesPerBatch))
        // 20 s is past the last bucket: only +Inf holds it.
        #expect(
            scrape[duration + "_bucket", ["method": "test.Echo/Say", "le": "10.0"]]
                == Double(CallTallies.latenciesPerBatch - 1))
        // The one after the batch waits for the next collect.
        tallies.record(slot: slot, code: .ok, seconds: 0.001)
        tallies.collect()
        #expect(
            try PrometheusText(registry.emitToString())["cashback_rpc_requests_total", ok]
                == Double(CallTallies.latenciesPerBatch))
    }

    /// Calls ended on several threads at once, as on cashbackd's event loops: each thread
    /// takes request ids in blocks of its own, and keeps a tally of its own; no id is made
    /// twice and no call is lost from the counts.
    @Test func callsEndedOnSeveralThreadsGetDistinctIDsAndAreAllCounted() throws {
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("access-\(UUID().uuidString).log")
        let fd = open(file.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(fd >= 0)
        defer { unlink(file.path) }
        let sink = LogSink(fileDescriptor: fd, linger: 0)
        let registry = PrometheusCollectorRegistry()
        let observer = CallObserver(
            factory: ServerMetrics.prometheusFactory(registry: registry),
            accessLog: AccessLog(sink: sink, format: .json))
        let method = MethodDescriptor(service: "test.Echo", method: "Say")
        let calls = observer.observer(of: method)
        // Past one block of ids on each thread, and past a batch of latencies.
        let (threads, callsPerThread) = (3, 1_500)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let context = RPCServerContext(
                method: method, metadata: Metadata(), peer: "127.0.0.1:\(40000 + thread)")
            for _ in 0..<callsPerThread {
                calls.callEnded(context, code: .ok, duration: .microseconds(250))
            }
        }
        sink.flush()
        close(fd)

        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == threads * callsPerThread)
        var ids = Set<String>()
        for line in lines {
            let fields = try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let id = try #require(fields["requestId"] as? String)
            #expect(id.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]+/) != nil, "\(id)")
            ids.insert(id)
        }
        #expect(ids.count == threads * callsPerThread)

        observer.collect()
        let scrape = try PrometheusText(registry.emitToString())
        #expect(
            scrape["cashback_rpc_requests_total", ["method": "test.Echo/Say", "code": "OK"]]
                == Double(threads * callsPerThread))
        #expect(
            scrape["cashback_rpc_request_duration_seconds_count", ["method": "test.Echo/Say"]]
                == Double(threads * callsPerThread))
    }

    @Test(arguments: [
        ("trace-42", true), ("", false), (String(repeating: "a", count: 64), true),
        (String(repeating: "a", count: 65), false), ("two words", false), ("tab\there", false),
        ("é", false), ("a\"b", false), ("a\\b", false),
    ])
    func clientRequestIDsAreKeptOnlyWhenShortAndPrintable(id: String, kept: Bool) {
        #expect(AccessLog.isSaneRequestID(id.utf8) == kept)
    }
}

/// Prometheus's text exposition format, read back: sample name and labels to value.
struct PrometheusText {
    private var samples: [String: Double] = [:]

    init(_ text: String) throws {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let space = try #require(line.lastIndex(of: " "))
            let series = line[..<space]
            let value = try #require(Double(line[line.index(after: space)...]))
            let name = series.prefix { $0 != "{" }
            var labels: [String: String] = [:]
            if let open = series.firstIndex(of: "{") {
                // Our label values hold no `,`, `"` or `=`: a plain split reads them.
                for pair in series[series.index(after: open)..<series.index(before: series.endIndex)]
                    .split(separator: ",")
                {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
                }
            }
            samples[Self.key(String(name), labels)] = value
        }
    }

    /// The value of the sample `name` with exactly these labels; `nil` when absent.
    subscript(name: String, labels: [String: String]) -> Double? {
        samples[Self.key(name, labels)]
    }

    private static func key(_ name: String, _ labels: [String: String]) -> String {
        name + "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            .joined(separator: ",") + "}"
    }
}
