@testable import CashbackClient
import RPC
import Testing

/// gRPC's connection backoff, one event at a time, without I/O or waiting.
@Suite struct ReconnectStateTests {
    static let start = ContinuousClock.now
    static let refused = RPCError(.unavailable, "cannot connect to h:1: connection refused")

    /// Starts an attempt at `at`, fails it at the same instant, and returns its wait.
    static func failAttempt(
        _ state: inout ReconnectState, at: ContinuousClock.Instant, unit: Double
    ) -> (connectTimeout: Duration, wait: Duration) {
        guard case .startAttempt(let timeout) = state.call(at: at, unitRandom: { unit }) else {
            Issue.record("expected an attempt to start")
            return (.zero, .zero)
        }
        return (timeout, state.attemptFailed(at: at, error: refused))
    }

    /// The waits after consecutive failures: the first is the initial backoff as it is, each
    /// later one 1.6 times the one before, jittered by ±20 % (unit 0 is −20 %, 1 is +20 %),
    /// and the growth stops at 120 s before jitter.
    @Test(arguments: [
        (0.5, [1000, 1600, 2560, 4096, 6554, 10486, 16777, 26844, 42950, 68719, 109951, 120000, 120000]),
        (0.0, [1000, 1280, 2048, 3277, 5243, 8389, 13422, 21475, 34360, 54976, 87961, 96000, 96000]),
        (1.0, [1000, 1920, 3072, 4915, 7864, 12583, 20133, 32212, 51540, 82463, 131941, 144000, 144000]),
    ] as [(Double, [Int64])])
    func waitsGrowByTheMultiplierWithJitterUpToTheMaximum(_ unit: Double, _ expected: [Int64]) {
        var state = ReconnectState(configuration: .default)
        var now = Self.start
        var waits: [Int64] = []
        for _ in expected {
            let (_, wait) = Self.failAttempt(&state, at: now, unit: unit)
            waits.append(wait.roundedMilliseconds)
            now += wait
        }
        #expect(waits == expected)
        #expect(state.failures == expected.count)
    }

    /// A multiplier so large that the product does not fit in a `Duration` waits the
    /// maximum (jittered), not a trap.
    @Test func aHugeMultiplierWaitsTheMaximum() {
        var configuration = ConnectionBackoff.default
        configuration.multiplier = 1e21
        var state = ReconnectState(configuration: configuration)
        var now = Self.start
        var waits: [Int64] = []
        for _ in 0..<3 {
            let (_, wait) = Self.failAttempt(&state, at: now, unit: 0.5)
            waits.append(wait.roundedMilliseconds)
            now += wait
        }
        #expect(waits == [1000, 120_000, 120_000])
    }

    @Test func anAttemptMayTakeTheMinimumConnectTimeoutOrItsBackoffWhenLonger() {
        var configuration = ConnectionBackoff.default
        configuration.minConnectTimeout = .seconds(5)
        var state = ReconnectState(configuration: configuration)
        var now = Self.start
        var timeouts: [Duration] = []
        for _ in 0..<6 {
            let (timeout, wait) = Self.failAttempt(&state, at: now, unit: 0.5)
            timeouts.append(timeout)
            now += wait
        }
        // Backoffs 1, 1.6, 2.56, 4.096, 6.5536, 10.48576 s.
        #expect(timeouts.prefix(4).allSatisfy { $0 == .seconds(5) })
        #expect(timeouts[4].roundedMilliseconds == 6554)
        #expect(timeouts[5].roundedMilliseconds == 10486)
    }

    @Test func callsDuringTheBackoffFailFastWithTheLastErrorThenOneStartsTheNextAttempt() {
        var state = ReconnectState(configuration: .default)
        _ = Self.failAttempt(&state, at: Self.start, unit: 0.5)
        let during = state.call(at: Self.start + .milliseconds(400), unitRandom: { 0.5 })
        #expect(during == .failFast(retryIn: .milliseconds(600), lastError: Self.refused))
        // Still backing off: nothing changed.
        #expect(state.phase == .backingOff(until: Self.start + .seconds(1), lastError: Self.refused))
        guard case .startAttempt = state.call(at: Self.start + .seconds(1), unitRandom: { 0.5 })
        else {
            Issue.record("the backoff has passed: an attempt starts")
            return
        }
        // Concurrent calls share it.
        #expect(state.call(at: Self.start + .seconds(1), unitRandom: { 0.5 }) == .awaitAttempt)
    }

    @Test func anAttemptSlowerThanItsBackoffIsFollowedAtOnce() {
        var state = ReconnectState(configuration: .default)
        _ = state.call(at: Self.start, unitRandom: { 0.5 })
        // The attempt took 20 s to fail; its backoff (1 s) has long passed.
        let wait = state.attemptFailed(at: Self.start + .seconds(20), error: Self.refused)
        #expect(wait == .zero)
        guard case .startAttempt = state.call(at: Self.start + .seconds(20), unitRandom: { 0.5 })
        else {
            Issue.record("expected the next attempt at once")
            return
        }
    }

    @Test func aConnectionStartsTheBackoffOverAndItsCloseReconnectsAtOnce() {
        var state = ReconnectState(configuration: .default)
        var now = Self.start
        for _ in 0..<4 { now += Self.failAttempt(&state, at: now, unit: 0.5).wait }
        _ = state.call(at: now, unitRandom: { 0.5 })
        state.attemptSucceeded()
        #expect(state.phase == .connected)
        #expect(state.failures == 0)
        #expect(state.call(at: now, unitRandom: { 0.5 }) == .useConnection)
        state.connectionClosed()
        #expect(state.phase == .idle)
        // Reconnecting at once, and a failure now waits the initial backoff again.
        let (_, wait) = Self.failAttempt(&state, at: now, unit: 0.5)
        #expect(wait == .seconds(1))
    }
}
