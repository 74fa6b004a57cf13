@testable import CashbackClient
import RPC
import Testing

/// gRFC A6's backoff arithmetic and the policy's checks.
@Suite struct RetryPolicyTests {
    /// The bound of retry n is min(initial × multiplier^(n−1), max): 100, 200, 400, 800, 1600,
    /// then 2000 ms with the defaults.
    @Test func boundsGrowByTheMultiplierUpToTheMaximum() {
        let bounds = (1...7).map { RetryPolicy.default.backoffBound(forRetry: $0) }
        #expect(bounds.map(\.roundedMilliseconds) == [100, 200, 400, 800, 1600, 2000, 2000])
    }

    /// The backoff is uniform in [0, bound]: the random unit scales the bound.
    @Test(arguments: [
        (1, 0.0, 0), (1, 0.5, 50), (1, 1.0, 100),
        (3, 0.25, 100), (3, 1.0, 400),
        (9, 0.5, 1000), (9, 1.0, 2000),
    ] as [(Int, Double, Int64)])
    func aBackoffIsTheBoundTimesTheRandomUnit(_ retry: Int, _ unit: Double, _ milliseconds: Int64) {
        #expect(
            RetryPolicy.default.backoff(forRetry: retry, unit: unit).roundedMilliseconds
                == milliseconds)
    }

    @Test func aMultiplierBelowOneShrinksTheBound() {
        let policy = RetryPolicy(initialBackoff: .seconds(1), backoffMultiplier: 0.5)
        #expect(policy.backoffBound(forRetry: 3) == .milliseconds(250))
    }

    /// A multiplier so large that the product does not fit in a `Duration` gives the
    /// maximum, not a trap.
    @Test(arguments: [1e21, 1e300, Double.greatestFiniteMagnitude])
    func aHugeMultiplierReachesTheMaximum(_ multiplier: Double) {
        let policy = RetryPolicy(maxBackoff: .seconds(2), backoffMultiplier: multiplier)
        #expect(policy.backoffBound(forRetry: 2) == .seconds(2))
        #expect(policy.backoffBound(forRetry: 5) == .seconds(2))
    }

    @Test func maxAttemptsAboveFiveCountsAsFive() throws {
        var policy = RetryPolicy.default
        policy.maxAttempts = 9
        try policy.check(argument: "retryPolicy")
        #expect(policy.effectiveMaxAttempts == 5)
    }

    @Test(arguments: [
        (RetryPolicy(maxAttempts: 0),
         "retryPolicy.maxAttempts must be 1 or more (1: no retries; above 5 counts as 5), got 0"),
        (RetryPolicy(initialBackoff: .zero),
         "retryPolicy.initialBackoff must be positive, got 0.0 seconds"),
        (RetryPolicy(initialBackoff: .seconds(3), maxBackoff: .seconds(2)),
         "retryPolicy.maxBackoff must be at least initialBackoff (3.0 seconds), got 2.0 seconds"),
        (RetryPolicy(backoffMultiplier: 0),
         "retryPolicy.backoffMultiplier must be a finite number above 0, got 0.0"),
        (RetryPolicy(backoffMultiplier: .infinity),
         "retryPolicy.backoffMultiplier must be a finite number above 0, got inf"),
        (RetryPolicy(retryableStatusCodes: []),
         "retryPolicy.retryableStatusCodes must name at least one status, and not OK (use "
            + "maxAttempts: 1 to turn retries off)"),
        (RetryPolicy(retryableStatusCodes: [.ok, .unavailable]),
         "retryPolicy.retryableStatusCodes must name at least one status, and not OK (use "
            + "maxAttempts: 1 to turn retries off)"),
        (RetryPolicy(throttling: RetryThrottling(maxTokens: 0)),
         "retryPolicy.throttling.maxTokens must be 1...1000, got 0"),
        (RetryPolicy(throttling: RetryThrottling(maxTokens: 1001)),
         "retryPolicy.throttling.maxTokens must be 1...1000, got 1001"),
        (RetryPolicy(throttling: RetryThrottling(tokenRatio: 0)),
         "retryPolicy.throttling.tokenRatio must be 0.001...maxTokens (10), got 0.0"),
        (RetryPolicy(throttling: RetryThrottling(maxTokens: 2, tokenRatio: 3)),
         "retryPolicy.throttling.tokenRatio must be 0.001...maxTokens (2), got 3.0"),
    ] as [(RetryPolicy, String)])
    func valuesOutOfRangeAreNamed(_ policy: RetryPolicy, _ message: String) {
        #expect(throws: RPCError(.invalidArgument, message)) {
            try policy.check(argument: "retryPolicy")
        }
    }

    @Test(arguments: [
        (ConnectionBackoff(initialBackoff: .zero),
         "connectionBackoff.initialBackoff must be positive, got 0.0 seconds"),
        (ConnectionBackoff(multiplier: 0.9),
         "connectionBackoff.multiplier must be a finite number of 1 or more, got 0.9"),
        (ConnectionBackoff(jitter: 1),
         "connectionBackoff.jitter must be in 0..<1, got 1.0"),
        (ConnectionBackoff(jitter: -0.1),
         "connectionBackoff.jitter must be in 0..<1, got -0.1"),
        (ConnectionBackoff(maxBackoff: .milliseconds(500)),
         "connectionBackoff.maxBackoff must be at least initialBackoff (1.0 seconds), got 0.5 seconds"),
        (ConnectionBackoff(minConnectTimeout: .seconds(-1)),
         "connectionBackoff.minConnectTimeout must be positive, got -1.0 seconds"),
    ] as [(ConnectionBackoff, String)])
    func connectionBackoffValuesOutOfRangeAreNamed(_ backoff: ConnectionBackoff, _ message: String) {
        #expect(throws: RPCError(.invalidArgument, message)) {
            try backoff.check(argument: "connectionBackoff")
        }
    }

    @Test func theDefaultsAreValid() throws {
        try RetryPolicy.default.check(argument: "retryPolicy")
        try RetryPolicy.disabled.check(argument: "retryPolicy")
        try ConnectionBackoff.default.check(argument: "connectionBackoff")
    }
}
