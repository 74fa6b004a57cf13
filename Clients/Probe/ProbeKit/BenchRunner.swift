import CashbackClient
import NIOConcurrencyHelpers
import Synchronization

/// Drives a `bench` run: `plan.callsPerConnection` workers on each transport, each making one
/// call at a time, until the plan's count is reached or its time is up. Each worker draws the
/// `{{random:N}}` values of its requests from a ``BenchRandom`` of its own, seeded from
/// `plan.seed` and its index.
///
/// The hot path is kept to what a load generator must do, so that the probe measures the
/// server and not itself: take a request number, take the request's bytes (encoded once
/// before the run when `-d` has no placeholder), call the transport, read the clock twice, and
/// count into the connection's tally (a lock that the connection's workers share; one tally
/// per worker would cost `-c × -m` histograms). Nothing is decoded.
struct BenchRunner {
    let plan: BenchPlan
    let method: MethodDescriptor
    let requests: BenchRequests
    let options: CallOptions

    /// What a run produced.
    struct Outcome {
        var tally: BenchTally
        /// From the first call's start to the end of the last.
        var duration: Duration
    }

    /// The worker index of slot `slot` on connection `connection`: workers of connection 0
    /// come first, so the indices are `0..<connections × callsPerConnection`.
    static func workerIndex(connection: Int, slot: Int, callsPerConnection: Int) -> Int {
        connection * callsPerConnection + slot
    }

    /// Runs the plan with one transport per connection.
    ///
    /// - Parameters:
    ///   - transports: One per connection.
    ///   - executors: Where each connection's workers run (its client's `taskExecutor`: the
    ///     connection's event loop, so that a call neither leaves nor comes back through
    ///     another thread); missing or nil: the default executor.
    /// - Throws: ``ProbeUsageError`` when a request rendered from the template is not a valid
    ///   request (the run stops); a call's failure is counted, never thrown.
    func run(
        on transports: [any RPCClientTransport], executors: [(any TaskExecutor)?] = []
    ) async throws -> Outcome {
        precondition(transports.count == plan.connections, "one transport per connection")
        let clock = ContinuousClock()
        let start = clock.now
        let numbers = RequestNumbers(plan.stop, start: start)
        let tallies = transports.map { _ in NIOLockedValueBox(BenchTally()) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (connection, transport) in transports.enumerated() {
                for slot in 0..<plan.callsPerConnection {
                    let worker = Self.workerIndex(
                        connection: connection, slot: slot,
                        callsPerConnection: plan.callsPerConnection)
                    let executor = executors.indices.contains(connection) ? executors[connection] : nil
                    group.addTask(executorPreference: executor) {
                        try await work(
                            worker: worker, on: transport, numbers: numbers, clock: clock,
                            tally: tallies[connection])
                    }
                }
            }
            try await group.waitForAll()
        }
        let duration = start.duration(to: clock.now)
        var total = BenchTally()
        for tally in tallies { total.merge(tally.withLockedValue { $0 }) }
        return Outcome(tally: total, duration: duration)
    }

    /// One worker: calls until the numbers run out, counting each call into `tally`.
    private func work(
        worker: Int, on transport: any RPCClientTransport, numbers: RequestNumbers,
        clock: ContinuousClock, tally: NIOLockedValueBox<BenchTally>
    ) async throws {
        // The worker's own generator: `{{random:N}}` draws without a lock.
        var random = BenchRandom(seed: plan.seed, worker: worker)
        // A worker that failed cancels the group: the others stop too.
        while !Task.isCancelled, let number = numbers.next(now: clock.now) {
            let request = try requests.bytes(number: number, worker: worker, random: &random)
            let began = clock.now
            let status: RPCStatusCode
            do {
                _ = try await transport.unary(method, request: request, options: options)
                status = .ok
            } catch let error as RPCError {
                status = error.code
            } catch {
                // The transports throw only RPCError; anything else is counted as gRPC
                // counts an error it cannot classify.
                status = .unknown
            }
            let latency = began.duration(to: clock.now)
            tally.withLockedValue { $0.record(latency: latency, status: status) }
        }
    }
}

/// Hands out request numbers 0, 1, 2… to the workers, each once, until the plan stops.
final class RequestNumbers: Sendable {
    private let next = Atomic<Int>(0)
    private let total: Int?
    private let deadline: ContinuousClock.Instant?

    init(_ stop: BenchPlan.Stop, start: ContinuousClock.Instant) {
        switch stop {
        case .count(let total):
            self.total = total
            deadline = nil
        case .duration(let duration):
            total = nil
            deadline = start.advanced(by: duration)
        }
    }

    /// The next request number, or `nil` once `-n` numbers were handed out or `-z` has passed.
    func next(now: ContinuousClock.Instant) -> Int? {
        if let deadline, now >= deadline { return nil }
        let number = next.wrappingAdd(1, ordering: .relaxed).oldValue
        if let total, number >= total { return nil }
        return number
    }
}
