import RPC
import Synchronization

/// One call's retries as gRFC A6 decides them, as a value that does no I/O:
/// ``RetryingTransport`` reports each failed attempt with the time, and sleeps or gives up as
/// told.
struct RetrySchedule: Sendable {
    /// What to do after a failed attempt.
    enum Decision: Hashable, Sendable {
        /// Make the next attempt once `delay` has passed.
        case retry(after: Duration)
        /// End the call with `error` (the attempt's own, or DEADLINE_EXCEEDED).
        case giveUp(RPCError, GiveUp)
    }

    /// Why a failed call is not retried, in the order they are checked.
    enum GiveUp: Hashable, Sendable {
        /// The status is not one of the policy's retryable ones.
        case statusNotRetryable
        /// The attempt failed after the server's response headers: A6 calls the call
        /// committed.
        case committed
        /// The server said not to retry (`grpc-retry-pushback-ms` negative or malformed).
        case serverPushback
        /// The policy's attempts are used up.
        case attemptsUsedUp
        /// The retry budget is spent (``RetryThrottling``).
        case throttled
        /// The backoff would end at or past the call's deadline.
        case deadline
    }

    let policy: RetryPolicy
    /// The call's deadline, if it has one: every attempt must end by then.
    let deadline: ContinuousClock.Instant?
    /// Attempts started so far.
    private(set) var attempts = 1
    /// The retry the backoff is computed for (A6's *n*): counted from the first retry, and
    /// from the retry after the server's last pushback.
    private var backoffRetry = 0

    /// The schedule of a call that must end by `deadline`, if it has one.
    init(policy: RetryPolicy, deadline: ContinuousClock.Instant?) {
        self.policy = policy
        self.deadline = deadline
    }

    /// The time an attempt starting at `now` has: what remains until the deadline.
    ///
    /// - Returns: `nil` when the call has no deadline.
    /// - Throws: ``RPCError`` DEADLINE_EXCEEDED when nothing remains.
    func timeout(at now: ContinuousClock.Instant) throws(RPCError) -> Duration? {
        guard let deadline else { return nil }
        guard now < deadline else {
            throw RPCError(.deadlineExceeded, "the deadline passed before attempt \(attempts)")
        }
        return deadline - now
    }

    /// The attempt under way failed at `now` with `error`.
    ///
    /// - Parameters:
    ///   - committed: whether the attempt failed after the server's response headers.
    ///   - throttled: whether the retry budget forbids retries now (the caller has spent a
    ///     token for this failure if its status is retryable).
    ///   - unitRandom: a random number uniform in `0...1`, asked for only when a backoff is
    ///     drawn.
    mutating func attemptFailed(
        _ error: RPCError, at now: ContinuousClock.Instant, committed: Bool = false,
        throttled: Bool, unitRandom: () -> Double
    ) -> Decision {
        guard policy.retryableStatusCodes.contains(error.code) else {
            return .giveUp(error, .statusNotRetryable)
        }
        guard !committed else { return .giveUp(error, .committed) }
        if case .doNotRetry = error.retryPushback { return .giveUp(error, .serverPushback) }
        guard attempts < policy.effectiveMaxAttempts else { return .giveUp(error, .attemptsUsedUp) }
        guard !throttled else { return .giveUp(error, .throttled) }
        let delay: Duration
        if case .retryAfter(let pushback) = error.retryPushback {
            // A6: exactly the server's delay, and the backoff starts over after it.
            delay = pushback
            backoffRetry = 0
        } else {
            backoffRetry += 1
            delay = policy.backoff(forRetry: backoffRetry, unit: unitRandom())
        }
        if let deadline, now + delay >= deadline {
            return .giveUp(
                RPCError(
                    .deadlineExceeded,
                    "the deadline leaves no time to retry: attempt \(attempts) failed with "
                        + "\(error), and the next would start in \(delay.roundedMilliseconds) "
                        + "ms, at or past the deadline"),
                .deadline)
        }
        attempts += 1
        return .retry(after: delay)
    }
}

/// gRFC A6's retry throttling for one client: tokens counted in thousandths, so that the
/// ratio's three decimals add up exactly. Lock-free: every successful call of an idempotent
/// method records itself here, and with a full budget that is one load.
final class RetryThrottle: Sendable {
    private let tokensMax: Int
    private let tokenRatio: Int
    private let tokens: Atomic<Int>

    init(_ throttling: RetryThrottling) {
        tokensMax = throttling.maxTokens * RetryThrottling.milli
        tokenRatio = throttling.tokenRatioMilli
        tokens = Atomic(tokensMax)
    }

    /// An attempt succeeded: it earns the ratio, up to the maximum.
    func recordSuccess() {
        update { min($0 + tokenRatio, tokensMax) }
    }

    /// An attempt failed with a retryable status: it spends one token.
    ///
    /// - Returns: whether retries are still allowed (more than half the maximum is left).
    func recordFailure() -> Bool {
        update { max($0 - RetryThrottling.milli, 0) } > tokensMax / 2
    }

    /// Replaces the count with `change(count)` and returns the new count.
    @discardableResult
    private func update(_ change: (Int) -> Int) -> Int {
        var current = tokens.load(ordering: .relaxed)
        while true {
            let next = change(current)
            if next == current { return current }
            let (exchanged, found) = tokens.compareExchange(
                expected: current, desired: next, ordering: .relaxed)
            if exchanged { return next }
            current = found
        }
    }

    /// The tokens left, in thousandths (for tests).
    var tokensMilli: Int { tokens.load(ordering: .relaxed) }
}
