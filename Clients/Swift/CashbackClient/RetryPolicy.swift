import RPC

/// How the client retries a failed call of an idempotent method, after gRPC's retry design
/// ([gRFC A6](https://github.com/grpc/proposal/blob/master/A6-client-retries.md)).
///
/// Only methods the schema marks `idempotent` (``MethodDescriptor/isIdempotent``) are retried,
/// and only after a status in ``retryableStatusCodes``. Before retry *n* (1 for the first) the
/// client waits a random time in `[0, min(initialBackoff × backoffMultiplier^(n−1),
/// maxBackoff)]`, or exactly what the server asked for in `grpc-retry-pushback-ms` (a negative
/// or malformed value there means "do not retry"). The call's deadline
/// (`CallOptions.timeout`) covers every attempt: each attempt is sent with the time that
/// remains, and a backoff that would end past the deadline fails the call with
/// DEADLINE_EXCEEDED at once. A unary call that fails after the server's response headers is
/// committed (gRFC A6) and not retried; a server-streaming call is retried only until its first
/// message has arrived. ``throttling`` stops retries while most calls fail, so that retries cannot
/// multiply the load on a server in trouble.
///
/// ```swift
/// var retries = RetryPolicy.default
/// retries.maxAttempts = 4
/// retries.retryableStatusCodes.insert(.resourceExhausted)   // the ledger's full write queue
/// let client = try await CashbackClient.connect(
///     host: "127.0.0.1", port: 50051, retryPolicy: retries)
/// ```
public struct RetryPolicy: Hashable, Sendable {
    /// Attempts in all, the first included: 1 turns retries off. Values above 5 count as 5,
    /// as in gRFC A6.
    public var maxAttempts: Int
    /// The upper bound of the first retry's random backoff.
    public var initialBackoff: Duration
    /// The largest upper bound any retry's backoff may have.
    public var maxBackoff: Duration
    /// How the upper bound grows from one retry to the next.
    public var backoffMultiplier: Double
    /// The statuses after which a call is retried: UNAVAILABLE by default (the server could not
    /// take the call: it was restarting, draining, or unreachable). RESOURCE_EXHAUSTED (a full
    /// write queue, a velocity limit) only if added here.
    public var retryableStatusCodes: Set<RPCStatusCode>
    /// The retry budget, `nil` for none (every failure may be retried).
    public var throttling: RetryThrottling?

    /// The largest ``maxAttempts`` that counts (gRFC A6).
    public static let attemptsCap = 5

    /// Creates a policy.
    ///
    /// - Parameters:
    ///   - maxAttempts: attempts in all, 1 for no retries; above 5 counts as 5.
    ///   - initialBackoff: the first retry's upper bound, positive.
    ///   - maxBackoff: the largest upper bound, at least `initialBackoff`.
    ///   - backoffMultiplier: how the bound grows, positive and finite.
    ///   - retryableStatusCodes: the statuses to retry after, not empty, without OK.
    ///   - throttling: the retry budget, `nil` for none.
    ///
    /// The values are checked when the client connects: `connect` throws INVALID_ARGUMENT
    /// naming the one out of range.
    public init(
        maxAttempts: Int = 3, initialBackoff: Duration = .milliseconds(100),
        maxBackoff: Duration = .seconds(2), backoffMultiplier: Double = 2,
        retryableStatusCodes: Set<RPCStatusCode> = [.unavailable],
        throttling: RetryThrottling? = RetryThrottling()
    ) {
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.backoffMultiplier = backoffMultiplier
        self.retryableStatusCodes = retryableStatusCodes
        self.throttling = throttling
    }

    /// Three attempts after UNAVAILABLE, backoff bounds 100 ms, 200 ms (up to 2 s), a budget
    /// of 10 tokens at 0.1 a success.
    public static let `default` = RetryPolicy()

    /// No retries: every call is made once.
    public static let disabled = RetryPolicy(maxAttempts: 1)

    /// The attempts that count: ``maxAttempts`` capped at ``attemptsCap``.
    var effectiveMaxAttempts: Int { min(maxAttempts, Self.attemptsCap) }

    /// The upper bound of retry `retry`'s backoff (1 for the first retry):
    /// `min(initialBackoff × backoffMultiplier^(retry−1), maxBackoff)`.
    func backoffBound(forRetry retry: Int) -> Duration {
        precondition(retry >= 1, "retries count from 1")
        var bound = initialBackoff
        for _ in 1..<retry {
            bound = bound.times(backoffMultiplier, atMost: maxBackoff)
            if bound >= maxBackoff { return maxBackoff }
        }
        return min(bound, maxBackoff)
    }

    /// Retry `retry`'s backoff for a uniform random `unit` in `0...1`: gRFC A6's "random
    /// between 0 and the bound".
    func backoff(forRetry retry: Int, unit: Double) -> Duration {
        precondition((0...1).contains(unit), "a unit random value is in 0...1, got \(unit)")
        return backoffBound(forRetry: retry) * unit
    }

    /// Checks every value, naming the one out of range.
    ///
    /// - Parameter argument: how the caller named the policy, e.g. `retryPolicy`.
    /// - Throws: ``RPCError`` INVALID_ARGUMENT naming the field and its accepted range.
    func check(argument: String) throws(RPCError) {
        try ArgumentCheck.require(
            maxAttempts >= 1, argument, "maxAttempts must be 1 or more (1: no retries; above "
                + "\(Self.attemptsCap) counts as \(Self.attemptsCap)), got \(maxAttempts)")
        try ArgumentCheck.requirePositive(initialBackoff, argument, "initialBackoff")
        try ArgumentCheck.require(
            maxBackoff >= initialBackoff, argument,
            "maxBackoff must be at least initialBackoff (\(initialBackoff)), got \(maxBackoff)")
        try ArgumentCheck.require(
            backoffMultiplier.isFinite && backoffMultiplier > 0, argument,
            "backoffMultiplier must be a finite number above 0, got \(backoffMultiplier)")
        try ArgumentCheck.require(
            !retryableStatusCodes.isEmpty && !retryableStatusCodes.contains(.ok), argument,
            "retryableStatusCodes must name at least one status, and not OK (use maxAttempts: "
                + "1 to turn retries off)")
        try throttling?.check(argument: "\(argument).throttling")
    }
}

/// gRFC A6's retry throttling: a budget of tokens that failures spend and successes earn.
///
/// The client starts with ``maxTokens`` tokens. Every attempt of an idempotent method that
/// fails with a retryable status takes one away, every attempt that succeeds gives
/// ``tokenRatio`` back (up to ``maxTokens``); while the count is at or below half of
/// ``maxTokens``, failed calls are not retried. With the defaults (10, 0.1), the fifth failed
/// attempt in a row leaves 5 tokens and is not retried, and it takes ten successes to earn one
/// token back.
public struct RetryThrottling: Hashable, Sendable {
    /// The budget's size, 1...1000.
    public var maxTokens: Int
    /// What one success earns, 0.001...``maxTokens``; counted in thousandths of a token.
    public var tokenRatio: Double

    /// Creates a budget.
    ///
    /// - Parameters:
    ///   - maxTokens: the budget's size, 1...1000.
    ///   - tokenRatio: what one success earns, at least 0.001 and at most `maxTokens`.
    public init(maxTokens: Int = 10, tokenRatio: Double = 0.1) {
        self.maxTokens = maxTokens
        self.tokenRatio = tokenRatio
    }

    /// Tokens are counted in thousandths, so that gRFC A6's three decimals of `tokenRatio` add
    /// up exactly.
    static let milli = 1000

    /// ``tokenRatio`` in thousandths of a token.
    var tokenRatioMilli: Int { Int((tokenRatio * Double(Self.milli)).rounded()) }

    /// Checks both values, naming the one out of range.
    func check(argument: String) throws(RPCError) {
        try ArgumentCheck.require(
            (1...1000).contains(maxTokens), argument,
            "maxTokens must be 1...1000, got \(maxTokens)")
        try ArgumentCheck.require(
            tokenRatio.isFinite && tokenRatio >= 0.001 && tokenRatio <= Double(maxTokens),
            argument, "tokenRatio must be 0.001...maxTokens (\(maxTokens)), got \(tokenRatio)")
    }
}
