extension Duration {
    /// The duration in whole milliseconds, rounded to the nearest, for messages and logs.
    var roundedMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + (attoseconds + 500_000_000_000_000) / 1_000_000_000_000_000
    }
}

extension Duration {
    /// This duration times `factor` (finite, not negative), at most `cap`. The product is
    /// compared with the cap in seconds first: a product past what `Duration` holds (a
    /// multiplier of 1e21, say) is the cap, not a trap.
    func times(_ factor: Double, atMost cap: Duration) -> Duration {
        guard Self.seconds(self) * factor < Self.seconds(cap) else { return cap }
        return min(self * factor, cap)
    }

    /// A duration in seconds, for comparing backoffs (never for money).
    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
