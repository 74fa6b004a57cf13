@testable import CashbackClient
import RPC
import Testing

/// gRFC A6's decisions after each failed attempt, and its token bucket, without I/O.
@Suite struct RetryScheduleTests {
    static let start = ContinuousClock.now

    static func schedule(_ policy: RetryPolicy = .default, timeout: Duration? = nil)
        -> RetrySchedule
    {
        RetrySchedule(policy: policy, deadline: timeout.map { start + $0 })
    }

    @Test func retriesUntilTheAttemptsAreUsedUp() {
        var schedule = Self.schedule()
        let decisions = (0..<3).map { _ in
            schedule.attemptFailed(.restarting, at: Self.start, throttled: false, unitRandom: { 1 })
        }
        #expect(
            decisions == [
                .retry(after: .milliseconds(100)), .retry(after: .milliseconds(200)),
                .giveUp(.restarting, .attemptsUsedUp),
            ])
        #expect(schedule.attempts == 3)
    }

    /// Each check, in the order the schedule makes them.
    @Test(arguments: [
        (RPCError(.notFound, "no such member"), false, RetrySchedule.GiveUp.statusNotRetryable),
        (RPCError(.resourceExhausted, "full"), false, .statusNotRetryable),
        (RPCError.restarting.pushing(back: .doNotRetry), false, .serverPushback),
        (RPCError.restarting, true, .throttled),
    ] as [(RPCError, Bool, RetrySchedule.GiveUp)])
    func givesUpForEachReason(_ error: RPCError, _ throttled: Bool, _ reason: RetrySchedule.GiveUp) {
        var schedule = Self.schedule()
        let decision = schedule.attemptFailed(
            error, at: Self.start, throttled: throttled, unitRandom: { 1 })
        #expect(decision == .giveUp(error, reason))
    }

    /// A6: once the server sent response headers, the call is committed; a status that is
    /// not retryable is still reported as such.
    @Test(arguments: [
        (RPCError.restarting, RetrySchedule.GiveUp.committed),
        (RPCError(.notFound, "no such member"), .statusNotRetryable),
    ])
    func aCommittedAttemptIsNotRetried(_ error: RPCError, _ reason: RetrySchedule.GiveUp) {
        var schedule = Self.schedule()
        let decision = schedule.attemptFailed(
            error, at: Self.start, committed: true, throttled: false, unitRandom: { 1 })
        #expect(decision == .giveUp(error, reason))
    }

    @Test func resourceExhaustedIsRetriedWhenConfigured() {
        var policy = RetryPolicy.default
        policy.retryableStatusCodes.insert(.resourceExhausted)
        var schedule = Self.schedule(policy)
        let decision = schedule.attemptFailed(
            RPCError(.resourceExhausted, "the ledger's write queue is full"), at: Self.start,
            throttled: false, unitRandom: { 0.5 })
        #expect(decision == .retry(after: .milliseconds(50)))
    }

    @Test func aPushbackSetsTheDelayAndStartsTheBackoffOver() {
        var policy = RetryPolicy.default
        policy.maxAttempts = 5
        var schedule = Self.schedule(policy)
        let pushed = RPCError.restarting.pushing(back: .retryAfter(.milliseconds(1234)))
        let decisions = [RPCError.restarting, .restarting, pushed, .restarting].map { error in
            schedule.attemptFailed(error, at: Self.start, throttled: false, unitRandom: { 1 })
        }
        #expect(
            decisions == [
                .retry(after: .milliseconds(100)), .retry(after: .milliseconds(200)),
                .retry(after: .milliseconds(1234)), .retry(after: .milliseconds(100)),
            ])
    }

    @Test func aBackoffThatWouldEndAtTheDeadlineGivesUpAtOnce() {
        var policy = RetryPolicy.default
        policy.initialBackoff = .seconds(2)
        policy.maxBackoff = .seconds(2)
        var schedule = Self.schedule(policy, timeout: .seconds(2))
        let decision = schedule.attemptFailed(
            .restarting, at: Self.start, throttled: false, unitRandom: { 1 })
        #expect(
            decision
                == .giveUp(
                    RPCError(
                        .deadlineExceeded,
                        "the deadline leaves no time to retry: attempt 1 failed with "
                            + "UNAVAILABLE: restarting, and the next would start in 2000 ms, at or "
                            + "past the deadline"),
                    .deadline))
        #expect(schedule.attempts == 1)
    }

    @Test func eachAttemptHasWhatRemainsOfTheDeadline() throws {
        var schedule = Self.schedule(timeout: .seconds(10))
        #expect(try schedule.timeout(at: Self.start) == .seconds(10))
        let decision = schedule.attemptFailed(
            .restarting, at: Self.start + .seconds(3), throttled: false, unitRandom: { 1 })
        #expect(decision == .retry(after: .milliseconds(100)))
        #expect(try schedule.timeout(at: Self.start + .milliseconds(3100)) == .milliseconds(6900))
        #expect(throws: RPCError(.deadlineExceeded, "the deadline passed before attempt 2")) {
            try schedule.timeout(at: Self.start + .seconds(10))
        }
        #expect(try Self.schedule().timeout(at: Self.start) == nil)
    }

    /// 10 tokens, 0.1 a success: each retryable failure spends 1; at 5 (half) or below,
    /// retries stop until successes earn more than half back.
    @Test func theBudgetStopsRetriesAtHalfAndSuccessesEarnItBack() {
        let throttle = RetryThrottle(RetryThrottling(maxTokens: 10, tokenRatio: 0.1))
        let allowed = (0..<6).map { _ in throttle.recordFailure() }
        #expect(allowed == [true, true, true, true, false, false])
        #expect(throttle.tokensMilli == 4000)
        for _ in 0..<10 { throttle.recordSuccess() }
        #expect(throttle.tokensMilli == 5000)
        throttle.recordSuccess()
        #expect(throttle.tokensMilli == 5100)
        for _ in 0..<100 { throttle.recordSuccess() }
        #expect(throttle.tokensMilli == 10_000)
        for _ in 0..<20 { _ = throttle.recordFailure() }
        #expect(throttle.tokensMilli == 0)
    }
}
