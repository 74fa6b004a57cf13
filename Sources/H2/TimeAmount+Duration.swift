import NIOCore

extension TimeAmount {
    /// The longest timer the transport arms: a year. Longer deadlines are as good as none, and
    /// clamping keeps `Duration` → nanoseconds from overflowing on hostile values such as
    /// `grpc-timeout: 99999999H` (≈ 11 000 years).
    static let timerMax = TimeAmount.hours(24 * 365)

    /// `duration` as a timer delay, clamped to `0...timerMax`.
    init(clamping duration: Duration) {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else {
            self = .zero
            return
        }
        guard seconds < TimeAmount.timerMax.nanoseconds / 1_000_000_000 else {
            self = TimeAmount.timerMax
            return
        }
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
