import RPC

/// One endpoint's connection state with gRPC's connection backoff, as a value that does no
/// I/O: ``EndpointConnection`` reports each event (a call, an attempt's outcome, a closed
/// connection) with the time and carries out the action returned.
///
/// The waits follow gRPC's `ConnectWithBackoff` (doc/connection-backoff.md): the attempt after
/// a failure starts when the failed one's backoff has passed since it started; the first
/// backoff is ``ConnectionBackoff/initialBackoff``, each later one the previous times the
/// multiplier (at most the maximum), then jittered. A success starts the sequence over.
struct ReconnectState: Sendable {
    /// Where the endpoint stands.
    enum Phase: Hashable, Sendable {
        /// Neither connected nor connecting: the next call starts an attempt.
        case idle
        /// An attempt is under way.
        case connecting
        /// Connected; calls use the connection.
        case connected
        /// The last attempt failed with `lastError`; none starts before `until`.
        case backingOff(until: ContinuousClock.Instant, lastError: RPCError)
    }

    /// What a call does with the endpoint.
    enum OnCall: Hashable, Sendable {
        /// Use the open connection.
        case useConnection
        /// Start a connection attempt that may take `connectTimeout`, and wait for it (or use
        /// another endpoint meanwhile).
        case startAttempt(connectTimeout: Duration)
        /// Wait for the attempt under way (or use another endpoint meanwhile).
        case awaitAttempt
        /// Fail without waiting (or use another endpoint): no attempt before `retryIn` has
        /// passed; the last one failed with `lastError`.
        case failFast(retryIn: Duration, lastError: RPCError)
    }

    let configuration: ConnectionBackoff
    private(set) var phase = Phase.idle
    /// Attempts that failed in a row since the last connection.
    private(set) var failures = 0
    /// The current backoff, before jitter.
    private var backoff: Duration
    /// When the attempt under way may be followed by another, if it fails.
    private var nextAttemptAt: ContinuousClock.Instant?

    init(configuration: ConnectionBackoff) {
        self.configuration = configuration
        self.backoff = configuration.initialBackoff
    }

    /// A call wants the endpoint at `now`; `unitRandom` (uniform in `0...1`, asked for only
    /// when an attempt starts) jitters that attempt's backoff.
    mutating func call(at now: ContinuousClock.Instant, unitRandom: () -> Double) -> OnCall {
        switch phase {
        case .connected:
            return .useConnection
        case .connecting:
            return .awaitAttempt
        case .idle:
            return startAttempt(at: now, unitRandom: unitRandom)
        case .backingOff(let until, let lastError):
            guard now >= until else { return .failFast(retryIn: until - now, lastError: lastError) }
            return startAttempt(at: now, unitRandom: unitRandom)
        }
    }

    /// gRPC's loop body: the wait after this attempt (the first backoff as it is, later ones
    /// grown and jittered), and the attempt's timeout, at least the minimum.
    private mutating func startAttempt(
        at now: ContinuousClock.Instant, unitRandom: () -> Double
    ) -> OnCall {
        let wait: Duration
        if failures == 0 {
            backoff = configuration.initialBackoff
            wait = backoff
        } else {
            backoff = backoff.times(configuration.multiplier, atMost: configuration.maxBackoff)
            let unit = unitRandom()
            precondition((0...1).contains(unit), "a unit random value is in 0...1, got \(unit)")
            wait = backoff * (1 + configuration.jitter * (2 * unit - 1))
        }
        nextAttemptAt = now + wait
        phase = .connecting
        return .startAttempt(connectTimeout: max(configuration.minConnectTimeout, wait))
    }

    /// The attempt under way connected: calls use it, and the backoff starts over.
    mutating func attemptSucceeded() {
        precondition(phase == .connecting, "an attempt succeeded while \(phase)")
        phase = .connected
        failures = 0
        backoff = configuration.initialBackoff
        nextAttemptAt = nil
    }

    /// The attempt under way failed at `now` with `error`.
    ///
    /// - Returns: how long the endpoint now backs off (zero when the attempt took longer
    ///   than its backoff: the next call tries again at once).
    mutating func attemptFailed(at now: ContinuousClock.Instant, error: RPCError) -> Duration {
        precondition(phase == .connecting, "an attempt failed while \(phase)")
        let until = max(nextAttemptAt ?? now, now)
        failures += 1
        phase = .backingOff(until: until, lastError: error)
        nextAttemptAt = nil
        return until - now
    }

    /// The connection closed (the server's idle timeout or shutdown, a network failure): the
    /// next call reconnects at once, as gRPC does after a connection that had been up.
    mutating func connectionClosed() {
        guard phase == .connected else { return }
        phase = .idle
    }
}
