@testable import CashbackClient
import NIOConcurrencyHelpers

/// A clock whose sleeps return at once and move its time on by what they waited, and whose
/// random numbers are one fixed value: backoffs and deadlines decided without waiting or luck.
final class TestClock: BackoffClock {
    private let start = ContinuousClock.now
    private let unit: Double
    private let state = NIOLockedValueBox<(elapsed: Duration, sleeps: [Duration])>((.zero, []))

    /// A clock whose random numbers are all `unit` (in `0...1`).
    init(unit: Double = 1) {
        precondition((0...1).contains(unit))
        self.unit = unit
    }

    var now: ContinuousClock.Instant { start + state.withLockedValue { $0.elapsed } }

    func sleep(until deadline: ContinuousClock.Instant) async throws {
        try Task.checkCancellation()
        state.withLockedValue { state in
            let wait = max(deadline - (start + state.elapsed), .zero)
            state.sleeps.append(wait)
            state.elapsed += wait
        }
    }

    func unitRandom() -> Double { unit }

    /// What each sleep waited, in order.
    var sleeps: [Duration] { state.withLockedValue { $0.sleeps } }

    /// Moves the time on without a sleep.
    func advance(by duration: Duration) {
        state.withLockedValue { $0.elapsed += duration }
    }
}
