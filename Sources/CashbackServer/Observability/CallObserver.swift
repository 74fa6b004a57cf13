import CoreMetrics
import NIOConcurrencyHelpers
import RPC

/// The router's observer in cashbackd: per method, a request count by status and a latency
/// histogram (``ServerMetrics``), and the access line (``AccessLog``).
///
/// A call touches nothing another event loop touches: each thread tallies its own calls
/// (``CallTallies``), and the tallies reach the shared instruments in batches and whenever
/// they are read (``collect()``, which the metrics listener calls before each scrape). Counting
/// every call straight into the instruments made both event loops fight over the same counter
/// and histogram lock, and cost GetBalance about 4 % of its throughput.
///
/// ```swift
/// let observer = CallObserver(factory: PrometheusMetricsFactory(registry: registry), accessLog: nil)
/// var router = RPCRouter(accessControl: access, observer: observer)
/// // … calls …
/// observer.collect()
/// print(registry.emitToString())
/// ```
public struct CallObserver: RPCServerCallObserver {
    private let accessLog: AccessLog?
    /// The methods' instruments and every thread's tally; `nil` without metrics.
    private let tallies: CallTallies?

    /// Counts calls into instruments made from `factory` (`nil`: none) and logs each call to
    /// `accessLog` (`nil`: none).
    public init(factory: (any MetricsFactory)?, accessLog: AccessLog?) {
        self.accessLog = accessLog
        tallies = factory.map(CallTallies.init)
    }

    public func observer(of method: MethodDescriptor) -> any RPCMethodObserver {
        MethodCalls(label: method.fullName, logsPath: false, tallies: tallies, accessLog: accessLog)
    }

    public func observerOfUnknownMethods() -> any RPCMethodObserver {
        MethodCalls(
            label: ServerMetrics.unknownMethod, logsPath: true, tallies: tallies,
            accessLog: accessLog)
    }

    /// Adds what every thread has tallied to the instruments: call it before reading them.
    public func collect() {
        tallies?.collect()
    }
}

/// The observer of one method: its slot in the tallies and its access lines.
private final class MethodCalls: RPCMethodObserver {
    private let slot: Int
    // Both event loops end calls here, and a strong reference read from a property is retained
    // and released around each use: with these objects shared by every thread, their
    // reference counts would move between the cores on every call. They are used through
    // unretained references, which `owners` keeps valid.
    private let tallies: Unmanaged<CallTallies>?
    private let accessLog: Unmanaged<AccessLog>?
    private let owners: (CallTallies?, AccessLog?)
    /// The constant part of this method's access lines; `nil` for unknown methods, whose lines
    /// name the path called.
    private let accessFields: AccessLog.MethodFields?

    init(label: String, logsPath: Bool, tallies: CallTallies?, accessLog: AccessLog?) {
        owners = (tallies, accessLog)
        self.tallies = tallies.map { Unmanaged.passUnretained($0) }
        self.accessLog = accessLog.map { Unmanaged.passUnretained($0) }
        slot = tallies?.register(label: label) ?? -1
        accessFields = logsPath ? nil : accessLog?.methodFields(label)
    }

    func callEnded(_ context: RPCServerContext, code: RPCStatusCode, duration: Duration) {
        let (seconds, microseconds) = duration.secondsAndMicroseconds
        tallies?._withUnsafeGuaranteedRef { $0.record(slot: slot, code: code, seconds: seconds) }
        accessLog?._withUnsafeGuaranteedRef {
            $0.record(accessFields, context: context, code: code, microseconds: microseconds)
        }
    }
}

/// Calls counted per thread, and the instruments they are added to.
///
/// Each thread that ends calls has a tally of its own, under a lock that only the collector
/// takes besides it: recording a call is an uncontended lock and a few stores. A method's
/// tally reaches its instruments when it holds ``latenciesPerBatch`` latencies (by its own
/// thread, in one burst), and at every ``collect()``.
final class CallTallies: Sendable {
    /// Latencies a thread keeps per method before it adds them to the histogram.
    static let latenciesPerBatch = 256

    /// One method's instruments, made at registration.
    private final class Instruments: Sendable {
        let label: String
        let factory: any MetricsFactory
        let succeeded: Counter
        let duration: any RecorderHandler
        /// Counts of the other statuses, by code, made as they first happen.
        let failed = NIOLockedValueBox<[Int: Counter]>([:])

        init(label: String, factory: any MetricsFactory) {
            self.label = label
            self.factory = factory
            succeeded = ServerMetrics.requests(method: label, code: .ok, factory: factory)
            duration = ServerMetrics.requestDuration(method: label, factory: factory)
        }

        /// Adds a tally: the counts, then each latency.
        func add(_ tally: MethodTally) {
            if tally.succeeded > 0 { succeeded.increment(by: tally.succeeded) }
            for (code, count) in tally.failed { failures(code).increment(by: count) }
            for seconds in tally.latencies { duration.record(seconds) }
        }

        private func failures(_ code: Int) -> Counter {
            failed.withLockedValue { counters in
                if let counter = counters[code] { return counter }
                let counter = ServerMetrics.requests(
                    method: label, code: RPCStatusCode(rawValue: code), factory: factory)
                counters[code] = counter
                return counter
            }
        }
    }

    /// One method's calls on one thread since its tally was last added.
    struct MethodTally {
        var succeeded = 0
        /// Calls by status code other than OK.
        var failed: [Int: Int] = [:]
        /// Seconds each call took.
        var latencies: [Double] = []

        var isEmpty: Bool { succeeded == 0 && failed.isEmpty && latencies.isEmpty }

        /// Counts one call; returns whether the tally now holds a batch of latencies.
        mutating func add(code: RPCStatusCode, seconds: Double) -> Bool {
            if code == .ok {
                succeeded += 1
            } else {
                failed[code.rawValue, default: 0] += 1
            }
            if latencies.capacity == 0 { latencies.reserveCapacity(CallTallies.latenciesPerBatch) }
            latencies.append(seconds)
            return latencies.count >= CallTallies.latenciesPerBatch
        }
    }

    /// One thread's tallies, by method slot. In a locked box rather than a variable of the
    /// class under a lock: the box hands its value over in place, where a class's variable is
    /// checked for overlapping access at run time on every call.
    private final class ThreadTally: Sendable {
        let methods = NIOLockedValueBox<[MethodTally]>([])
    }

    private let factory: any MetricsFactory
    /// By slot; appended at registration only.
    private let instruments = NIOLockedValueBox<[Instruments]>([])
    /// Every thread's tally.
    private let threads = NIOLockedValueBox<[ThreadTally]>([])
    private let current = PerThread<ThreadTally>()

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// Makes a method's instruments; returns its slot.
    func register(label: String) -> Int {
        instruments.withLockedValue { instruments in
            instruments.append(Instruments(label: label, factory: factory))
            return instruments.count - 1
        }
    }

    /// Tallies one call of the method in `slot` on the calling thread.
    func record(slot: Int, code: RPCStatusCode, seconds: Double) {
        let thread = current.currentValue ?? registerThread()
        let full = thread.methods.withLockedValue { methods -> MethodTally? in
            if methods.count <= slot {
                methods += repeatElement(MethodTally(), count: slot + 1 - methods.count)
            }
            guard methods[slot].add(code: code, seconds: seconds) else { return nil }
            var full = MethodTally()
            swap(&full, &methods[slot])
            return full
        }
        if let full { add(full, slot: slot) }
    }

    private func registerThread() -> ThreadTally {
        let thread = ThreadTally()
        current.currentValue = thread
        threads.withLockedValue { $0.append(thread) }
        return thread
    }

    /// Adds every thread's tallies to the instruments.
    func collect() {
        for thread in threads.withLockedValue({ $0 }) {
            let methods = thread.methods.withLockedValue { methods in
                defer { methods = [] }
                return methods
            }
            for (slot, tally) in methods.enumerated() where !tally.isEmpty {
                add(tally, slot: slot)
            }
        }
    }

    private func add(_ tally: MethodTally, slot: Int) {
        instruments.withLockedValue { $0[slot] }.add(tally)
    }
}
