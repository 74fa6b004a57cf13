import ArgumentParser
import CashbackServer
import Dispatch
import Foundation
import Prometheus
import RPC

/// `cashback-observerbench`: what cashbackd's observer (metrics and the access log) costs one
/// call, without the server around it. Each configuration ends the same GetBalance call
/// `--calls` times on each of `--threads` threads at once, as the router does at a call's end,
/// and reports the median over `--rounds` of the time per call on one thread; "none" (an
/// observer that does nothing) is the baseline, in the same run.
///
/// With two threads (cashbackd's two event loops) the figures show what the threads cost each
/// other: any state both write on every call (a shared counter, the reference count of a shared
/// object) makes the per-call time grow with the threads instead of staying flat.
@main
struct ObserverBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cashback-observerbench",
        abstract: "Measure the per-call cost of cashbackd's metrics and access log.",
        discussion: """
            Prints one Markdown table: per configuration, the median time per call on one \
            thread, and its cost over "none" (an observer that does nothing). The access \
            lines (JSON) go to --log-file through cashbackd's log sink and writer thread.
            """)

    @Option(help: "Calls per thread in each round (1000 to 100000000).")
    var calls = 1_000_000

    @Option(help: "Threads ending calls at once (1 to 16); cashbackd runs one per core.")
    var threads = 1

    @Option(help: "Rounds per configuration (1 to 99); the median is reported.")
    var rounds = 7

    @Option(help: "Where the access lines go (appended).")
    var logFile = "/dev/null"

    func validate() throws {
        guard (1_000...100_000_000).contains(calls) else {
            throw ValidationError("--calls must be 1000 to 100000000, got \(calls)")
        }
        guard (1...16).contains(threads) else {
            throw ValidationError("--threads must be 1 to 16, got \(threads)")
        }
        guard (1...99).contains(rounds) else {
            throw ValidationError("--rounds must be 1 to 99, got \(rounds)")
        }
    }

    func run() throws {
        let descriptor = MethodDescriptor(service: "cashback.v1.Wallet", method: "GetBalance")
        let fd = open(logFile, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw ValidationError("cannot open --log-file \(logFile): \(reason)")
        }
        let sink = LogSink(fileDescriptor: fd)
        let factory = ServerMetrics.prometheusFactory(registry: PrometheusCollectorRegistry())
        let accessLog = AccessLog(sink: sink, format: .json)
        func observer(metrics: Bool, log: Bool) -> any RPCMethodObserver {
            CallObserver(factory: metrics ? factory : nil, accessLog: log ? accessLog : nil)
                .observer(of: descriptor)
        }
        let configurations: [(String, any RPCMethodObserver)] = [
            ("none", Unobserved()),
            ("metrics", observer(metrics: true, log: false)),
            ("access log", observer(metrics: false, log: true)),
            ("both", observer(metrics: true, log: true)),
        ]
        print("\(calls) calls per thread, \(threads) thread(s), median of \(rounds) rounds")
        print()
        print("| observer | ns per call | over none |")
        print("|---|---:|---:|")
        var baseline = 0.0
        for (name, observer) in configurations {
            let nanoseconds = median(
                (0..<rounds).map { _ in
                    let perCall = timePerCall(observer, method: descriptor)
                    sink.flush()
                    return perCall
                })
            if name == "none" { baseline = nanoseconds }
            let over = name == "none" ? "—" : String(format: "%+.0f", nanoseconds - baseline)
            print("| \(name) | \(String(format: "%.0f", nanoseconds)) | \(over) |")
        }
    }

    /// Nanoseconds per call on one thread, with `threads` threads ending calls at once.
    private func timePerCall(_ observer: any RPCMethodObserver, method: MethodDescriptor)
        -> Double
    {
        let calls = self.calls
        let start = ContinuousClock.now
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            // Each thread its own context, as each call has its own in the server.
            let context = RPCServerContext(
                method: method, metadata: Metadata([("user-agent", "h2load/1.52.0")]),
                peer: "127.0.0.1:51000", caller: RPCCaller(name: "bench"), receivedBy: .now)
            for _ in 0..<calls {
                let started = context.receivedBy ?? .now
                observer.callEnded(context, code: .ok, duration: started.duration(to: .now))
            }
        }
        let (seconds, attoseconds) = start.duration(to: .now).components
        return (Double(seconds) * 1e9 + Double(attoseconds) / 1e9) / Double(calls)
    }

    private func median(_ values: [Double]) -> Double {
        values.sorted()[values.count / 2]
    }
}

/// The baseline: the router's clock reads and a call through the observer protocol, and
/// nothing else.
private final class Unobserved: RPCMethodObserver {
    func callEnded(_ context: RPCServerContext, code: RPCStatusCode, duration: Duration) {}
}
