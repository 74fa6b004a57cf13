import Logging
import RPC

/// Retries failed calls of idempotent methods as ``RetryPolicy`` says (gRFC A6), over the
/// endpoints of a ``ReconnectingTransport``: each attempt picks its endpoint afresh, so a
/// retry after a server went down goes to another one.
///
/// A method the schema does not mark `idempotent` goes straight through, once. The
/// decisions are ``RetrySchedule``'s; this type makes the attempts, keeps the retry budget
/// (``RetryThrottle``), sleeps the backoffs and logs.
final class RetryingTransport: RPCClientTransport {
    let base: ReconnectingTransport
    let policy: RetryPolicy
    /// The retry budget shared by every call of the client, `nil` for none.
    let throttle: RetryThrottle?
    let clock: any BackoffClock
    private let logger: Logger

    init(
        base: ReconnectingTransport, policy: RetryPolicy, clock: any BackoffClock,
        logger: Logger
    ) {
        self.base = base
        self.policy = policy
        self.throttle = policy.throttling.map(RetryThrottle.init)
        self.clock = clock
        self.logger = logger
    }

    /// Whether calls of `method` are retried.
    func retries(_ method: MethodDescriptor) -> Bool {
        method.isIdempotent && policy.effectiveMaxAttempts > 1
    }

    func unary(_ method: MethodDescriptor, request: [UInt8], options: CallOptions)
        async throws -> [UInt8]
    {
        guard retries(method) else {
            return try await base.unary(method, request: request, options: options)
        }
        let deadline = options.timeout.map { clock.now + $0 }
        // Made at the first failure: a call answered at once pays for nothing more.
        var schedule: RetrySchedule?
        var options = options
        while true {
            let outcome = await base.unaryOutcome(method, request: request, options: options)
            switch outcome.result {
            case .success(let response):
                throttle?.recordSuccess()
                return response
            case .failure(let error):
                var retries = schedule ?? RetrySchedule(policy: policy, deadline: deadline)
                try await backOff(
                    after: error, committed: outcome.committed, of: method, on: outcome.endpoint,
                    &retries)
                schedule = retries
                // The first attempt had the whole timeout; the next one has what is left.
                options.timeout = try retries.timeout(at: clock.now)
            }
        }
    }

    /// Decides what follows a failed attempt, and sleeps its backoff if it is a retry.
    ///
    /// - Throws: the call's final ``RPCError`` when it is not retried; CANCELLED when the task
    ///   is cancelled during the backoff.
    ///
    /// - Parameter committed: whether the attempt failed after the server's response headers.
    func backOff(
        after error: RPCError, committed: Bool = false, of method: MethodDescriptor,
        on endpoint: CashbackClient.Endpoint?, _ schedule: inout RetrySchedule
    ) async throws(RPCError) {
        let retryable = policy.retryableStatusCodes.contains(error.code)
        let throttled = retryable && !(throttle?.recordFailure() ?? true)
        let now = clock.now
        let failedAttempt = schedule.attempts
        let decision = schedule.attemptFailed(
            error, at: now, committed: committed, throttled: throttled,
            unitRandom: { clock.unitRandom() })
        var metadata: Logger.Metadata = [
            "method": "\(method)", "attempt": "\(failedAttempt)", "code": "\(error.code)",
            "error": "\(error.message)",
        ]
        if let endpoint { metadata["endpoint"] = "\(endpoint)" }
        switch decision {
        case .giveUp(let final, let reason):
            if reason != .statusNotRetryable {
                metadata["reason"] = "\(reason)"
                logger.debug("not retrying", metadata: metadata)
            }
            throw final
        case .retry(let delay):
            metadata["backoff_ms"] = "\(delay.roundedMilliseconds)"
            logger.debug("retrying", metadata: metadata)
            do {
                try await clock.sleep(until: now + delay)
            } catch {
                throw RPCError(.cancelled, "the call was cancelled while waiting to retry")
            }
        }
    }
}
