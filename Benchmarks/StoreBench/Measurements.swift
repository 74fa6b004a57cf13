import Foundation

/// Latencies of one run, and their percentiles in milliseconds.
///
/// Keeps every sample (8 bytes each) and sorts them once: exact percentiles for the counts a
/// store benchmark runs (a million samples are 8 MB). Floating point is for these statistics
/// only.
struct LatencySamples {
    private var nanoseconds: [Int64] = []

    /// Reserves room for `count` samples.
    init(capacity count: Int) {
        self.nanoseconds.reserveCapacity(count)
    }

    /// Adds one sample.
    mutating func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.nanoseconds.append(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// The percentiles of the samples so far; all zeros when there are none.
    func summary() -> LatencySummary {
        let sorted = self.nanoseconds.sorted()
        guard !sorted.isEmpty else { return LatencySummary(p50: 0, p90: 0, p99: 0, max: 0) }
        // Nearest rank: the smallest sample with at least p % of the samples at or below it.
        func percentile(_ p: Double) -> Double {
            let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
            return Double(sorted[min(max(rank, 1), sorted.count) - 1]) / 1e6
        }
        return LatencySummary(
            p50: percentile(50), p90: percentile(90), p99: percentile(99),
            max: Double(sorted[sorted.count - 1]) / 1e6)
    }
}

/// Latency percentiles, in milliseconds.
struct LatencySummary: Encodable {
    var p50: Double
    var p90: Double
    var p99: Double
    var max: Double

    /// `p50 1.23 ms, p90 …, p99 …, max …`.
    var text: String {
        "p50 \(fixed(p50, 3)) ms, p90 \(fixed(p90, 3)) ms, p99 \(fixed(p99, 3)) ms, "
            + "max \(fixed(max, 3)) ms"
    }
}

/// The write counters of this process, from `/proc/self/io` (Linux).
///
/// `wchar` counts the bytes handed to `write`/`pwrite` (the WAL frames, checkpoints into the
/// database file, and the few lines printed), `syscw` the calls, and `write_bytes` the bytes
/// the kernel sent to the storage layer for this process. With `synchronous = FULL` every
/// commit also syncs the WAL; those sync calls are not counted here (see Benchmarks/README.md
/// for `strace -c`).
struct ProcessWrites: Encodable {
    var bytes: Int64
    var calls: Int64
    var storageBytes: Int64

    /// The counters now, or nil where `/proc/self/io` cannot be read (not Linux).
    static func now() -> ProcessWrites? {
        guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else {
            return nil
        }
        var fields: [Substring: Int64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            fields[parts[0]] = Int64(parts[1].trimmingCharacters(in: .whitespaces))
        }
        guard let bytes = fields["wchar"], let calls = fields["syscw"],
            let storageBytes = fields["write_bytes"]
        else { return nil }
        return ProcessWrites(bytes: bytes, calls: calls, storageBytes: storageBytes)
    }

    /// What was written between `earlier` and `self`, divided by `operations`.
    func perOperation(since earlier: ProcessWrites, operations: Int) -> WritesPerOperation {
        let count = Double(max(operations, 1))
        return WritesPerOperation(
            bytes: Double(self.bytes - earlier.bytes) / count,
            writeCalls: Double(self.calls - earlier.calls) / count,
            storageBytes: Double(self.storageBytes - earlier.storageBytes) / count)
    }
}

/// Writes per operation of a run (averages).
struct WritesPerOperation: Encodable {
    /// Bytes passed to write calls (WAL frames and checkpoints).
    var bytes: Double
    /// Write system calls.
    var writeCalls: Double
    /// Bytes the kernel sent to storage.
    var storageBytes: Double

    /// `12.1 KiB in 3.0 write calls, 8.2 KiB to storage`.
    var text: String {
        "\(fixed(bytes / 1024, 1)) KiB in \(fixed(writeCalls, 1)) write calls, "
            + "\(fixed(storageBytes / 1024, 1)) KiB to storage"
    }
}

/// The size of a file in bytes, or 0 when it does not exist.
func fileSize(_ path: String) -> Int64 {
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    return (attributes?[.size] as? NSNumber)?.int64Value ?? 0
}
