/// Time and chance for the client's backoffs: the system's in use, a test's in tests, so that
/// backoff and deadline decisions are checked without waiting and without luck.
protocol BackoffClock: Sendable {
    /// The current time.
    var now: ContinuousClock.Instant { get }

    /// Returns at `deadline`.
    ///
    /// - Throws: `CancellationError` when the waiting task is cancelled first.
    func sleep(until deadline: ContinuousClock.Instant) async throws

    /// A random number uniform in `0...1`.
    func unitRandom() -> Double
}

/// The real clock and the system's random numbers.
struct SystemBackoffClock: BackoffClock {
    var now: ContinuousClock.Instant { .now }

    func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await Task.sleep(until: deadline, clock: .continuous)
    }

    func unitRandom() -> Double { .random(in: 0...1) }
}
