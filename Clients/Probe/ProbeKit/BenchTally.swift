import CashbackClient
import Histogram

/// What the calls of a `bench` run saw: every call's latency and status. The run keeps one per
/// connection and merges them at the end.
///
/// Latencies are kept in microseconds in an HDR histogram with three significant digits:
/// exact up to 2 048 µs, within 0.1 % above, in memory that depends on the largest latency
/// only (not on the number of calls).
struct BenchTally: Sendable {
    private(set) var latencies: Histogram<UInt64> = {
        // Sized for a minute at once (about 140 KiB): growing an auto-resizing histogram one
        // power of two at a time costs more than the calls it records in a short run.
        var histogram = Histogram<UInt64>(
            highestTrackableValue: Self.presizedMicrosecondsMax, numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
        return histogram
    }()
    static let presizedMicrosecondsMax: UInt64 = 60_000_000
    /// The exact sum of the latencies recorded, for the mean (the histogram's is approximate).
    private(set) var latencySumMicroseconds: UInt64 = 0
    /// Calls by their final status (`OK` included), keyed by the status's wire value.
    private(set) var statuses: [Int: Int] = [:]

    /// Calls recorded.
    var count: Int { Int(latencies.totalCount) }

    /// Records one call that took `latency` and ended with `status`.
    mutating func record(latency: Duration, status: RPCStatusCode) {
        let microseconds = Self.microseconds(latency)
        // An auto-resizing histogram records any value up to UInt64.max / 2.
        let recorded = latencies.record(microseconds)
        precondition(recorded, "latency \(microseconds) µs out of the histogram's range")
        latencySumMicroseconds += microseconds
        statuses[status.rawValue, default: 0] += 1
    }

    /// Adds another worker's calls to these.
    mutating func merge(_ other: BenchTally) {
        latencies.add(other.latencies)
        latencySumMicroseconds += other.latencySumMicroseconds
        statuses.merge(other.statuses, uniquingKeysWith: +)
    }

    /// `duration` in whole microseconds, rounded to the nearest; never negative.
    static func microseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000 + UInt64((attoseconds + 500_000_000_000) / 1_000_000_000_000)
    }
}
