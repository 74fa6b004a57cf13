import NIOConcurrencyHelpers
import RPC

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

    /// The schedule of a call whose first attempt starts at `now()` with `timeout` (the clock
    /// is read only for a call with a timeout).
    init(policy: RetryPolicy, timeout: Duration?, now: () -> ContinuousClock.Instant) {
        self.policy = policy
        self.deadline = timeout.map { now() + $0 }
    }

    /// The time an attempt starting at `now()` has: what remains until the deadline (the
    /// clock is read only for a call with a deadline).
    ///
    /// - Returns: `nil` when the call has no deadline.
    /// - Throws: ``RPCError`` DEADLINE_EXCEEDED when nothing remains.
    func timeout(_ now: () -> ContinuousClock.Instant) throws(RPCError) -> Duration? {
        guard let deadline else { return nil }
        let now = now()
        guard now < deadline else {
            throw RPCError(.deadlineExceeded, "the deadline passed before attempt \(attempts)")
        }
        return deadline - now
    }

    /// The attempt under way failed at `now` with `error`.
    ///
    /// - Parameters:
    ///   - throttled: whether the retry budget forbids retries now (the caller has spent a
    ///     token for this failure if its status is retryable).
    ///   - unitRandom: a random number uniform in `0...1`, asked for only when a backoff is
    ///     drawn.
    mutating func attemptFailed(
        _ error: RPCError, at now: ContinuousClock.Instant, throttled: Bool,
        unitRandom: () -> Double
    ) -> Decision {
        guard policy.retryableStatusCodes.contains(error.code) else {
            return .giveUp(error, .statusNotRetryable)
        }
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
/// ratio's three decimals add up exactly.
final class RetryThrottle: Sendable {
    private let tokensMax: Int
    private let tokenRatio: Int
    private let tokens: NIOLockedValueBox<Int>

    init(_ throttling: RetryThrottling) {
        tokensMax = throttling.maxTokens * RetryThrottling.milli
        tokenRatio = throttling.tokenRatioMilli
        tokens = NIOLockedValueBox(tokensMax)
    }

    /// An attempt succeeded: it earns the ratio, up to the maximum.
    func recordSuccess() {
        tokens.withLockedValue { $0 = min($0 + tokenRatio, tokensMax) }
    }

    /// An attempt failed with a retryable status: it spends one token.
    ///
    /// - Returns: whether retries are still allowed (more than half the maximum is left).
    func recordFailure() -> Bool {
        tokens.withLockedValue { tokens in
            tokens = max(tokens - RetryThrottling.milli, 0)
            return tokens > tokensMax / 2
        }
    }

    /// The tokens left, in thousandths (for tests).
    var tokensMilli: Int { tokens.withLockedValue { $0 } }
}
