import CashbackClient
import Foundation
import Histogram

/// The result of a `bench` run, as `--format json` prints it (one line by ``JSONLine``,
/// latencies in microseconds) and as the text report shows it (in milliseconds, with a
/// histogram of bars, as ghz does).
struct BenchReport: Codable, Equatable {
    /// Latency figures of every call, whatever its status, in microseconds.
    struct Latency: Codable, Equatable {
        var min: UInt64
        var mean: Double
        var p50: UInt64
        var p90: UInt64
        var p99: UInt64
        var max: UInt64
    }

    /// One bar of the histogram: the calls that took more than the previous bucket's `toUs`
    /// (the first bucket starts at the fastest call) and at most `toUs`.
    struct Bucket: Codable, Equatable {
        var toUs: UInt64
        var count: Int
    }

    var method: String
    var connections: Int
    var callsPerConnection: Int
    /// The seed of the workers' `{{random:N}}` generators: `--seed` repeats the run's values.
    var seed: UInt64
    /// Calls made (every status counted).
    var count: Int
    /// From the first call's start to the last one's end.
    var durationUs: UInt64
    var requestsPerSecond: Double
    var latencyUs: Latency
    /// Calls by status name (`OK`, `RESOURCE_EXHAUSTED`…).
    var statuses: [String: Int]
    var histogram: [Bucket]

    /// Buckets in the histogram, as ghz draws it.
    static let bucketCount = 10

    /// The report of a run of `plan` against `method` that took `duration`.
    init(method: String, plan: BenchPlan, tally: BenchTally, duration: Duration) {
        self.method = method
        connections = plan.connections
        callsPerConnection = plan.callsPerConnection
        seed = plan.seed
        count = tally.count
        durationUs = BenchTally.microseconds(duration)
        requestsPerSecond = durationUs == 0 ? 0 : Double(count) * 1e6 / Double(durationUs)
        latencyUs = Self.latency(of: tally)
        statuses = Dictionary(
            uniqueKeysWithValues: tally.statuses.map { (RPCStatusCode(rawValue: $0.key).name, $0.value) })
        histogram = Self.buckets(of: tally.latencies, count: Self.bucketCount)
    }

    /// The percentiles as HDR histograms define them: the smallest recorded value that at
    /// least that share of the calls did not exceed (p50 of 1…1000 µs is 500 µs).
    static func latency(of tally: BenchTally) -> Latency {
        let histogram = tally.latencies
        guard tally.count > 0 else { return Latency(min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0) }
        return Latency(
            min: histogram.min, mean: Double(tally.latencySumMicroseconds) / Double(tally.count),
            p50: histogram.valueAtPercentile(50), p90: histogram.valueAtPercentile(90),
            p99: histogram.valueAtPercentile(99), max: histogram.maxRecorded)
    }

    /// `count` buckets of equal width from the fastest call to the slowest, each holding the
    /// calls above the previous bucket's bound up to its own (ghz's layout).
    static func buckets(of histogram: Histogram<UInt64>, count: Int) -> [Bucket] {
        guard histogram.totalCount > 0 else { return [] }
        let fastest = histogram.min
        let slowest = histogram.maxRecorded
        // Every call as fast as every other: one bucket, not `count` with the same bound.
        let count = slowest == fastest ? 1 : count
        let width = Double(slowest - fastest) / Double(count)
        var buckets = (1...count).map { index in
            Bucket(toUs: index == count ? slowest : fastest + UInt64(width * Double(index)), count: 0)
        }
        for recorded in histogram.recordedValues() {
            // A value the histogram stores in a range is counted at its range's top, clamped
            // to the slowest call actually seen.
            let value = Swift.min(recorded.value, slowest)
            let index = buckets.firstIndex { value <= $0.toUs } ?? count - 1
            buckets[index].count += Int(recorded.count)
        }
        return buckets
    }

    // MARK: Output

    /// The report for a terminal, laid out as ghz's summary.
    func text() -> String {
        var lines = [
            "Summary:",
            "  Method:       \(method)",
            "  Connections:  \(connections) × \(callsPerConnection) concurrent calls",
            "  Seed:         \(seed)",
            "  Count:        \(count)",
            "  Total:        \(Self.milliseconds(durationUs)) ms",
            "  Requests/sec: \(String(format: "%.2f", requestsPerSecond))",
            "",
            "Latency (ms):",
            "  Fastest: \(Self.milliseconds(latencyUs.min))",
            "  Mean:    \(String(format: "%.3f", latencyUs.mean / 1_000))",
            "  p50:     \(Self.milliseconds(latencyUs.p50))",
            "  p90:     \(Self.milliseconds(latencyUs.p90))",
            "  p99:     \(Self.milliseconds(latencyUs.p99))",
            "  Slowest: \(Self.milliseconds(latencyUs.max))",
            "",
            "Latency histogram (ms, up to):",
        ]
        lines += histogramLines()
        lines += ["", "Status distribution:"]
        let byCount = statuses.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        let nameWidth = byCount.map { $0.key.count }.max() ?? 0
        for (name, calls) in byCount {
            let padding = String(repeating: " ", count: nameWidth - name.count)
            lines.append("  [\(name)]\(padding) \(calls) responses")
        }
        return lines.joined(separator: "\n")
    }

    /// Bars at most this wide.
    static let barWidthMax = 40

    private func histogramLines() -> [String] {
        let countMax = histogram.map(\.count).max() ?? 0
        let bounds = histogram.map { Self.milliseconds($0.toUs) }
        let boundWidth = bounds.map(\.count).max() ?? 0
        let counts = histogram.map { "[\($0.count)]" }
        let countWidth = counts.map(\.count).max() ?? 0
        return histogram.indices.map { index in
            let bar = countMax == 0 ? 0 : histogram[index].count * Self.barWidthMax / countMax
            // A bucket that holds any call shows at least one mark.
            let marks = histogram[index].count > 0 ? Swift.max(bar, 1) : 0
            return "  " + String(repeating: " ", count: boundWidth - bounds[index].count)
                + bounds[index] + " " + counts[index]
                + String(repeating: " ", count: countWidth - counts[index].count) + " |"
                + String(repeating: "∎", count: marks)
        }
    }

    /// Microseconds as milliseconds with three decimals: `1234` → `1.234`.
    static func milliseconds(_ microseconds: UInt64) -> String {
        let fraction = String(microseconds % 1_000)
        return "\(microseconds / 1_000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
