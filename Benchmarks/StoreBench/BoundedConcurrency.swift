import Foundation

/// Runs `body` for every index in `0..<count` with at most `width` calls in flight, and hands
/// each result to `consume` as it completes (in completion order, on the caller's task).
///
/// Indices are produced as slots free up, never collected first: memory stays bounded by
/// `width` whatever `count` is, so ten million jobs cost what 256 do. The first error thrown
/// by `body` or `consume` cancels the calls in flight and is rethrown.
///
/// ```swift
/// var total = 0
/// try await forEachConcurrently(count: 1_000, width: 64) { index in
///     try await work(index)
/// } consume: { result in
///     total += result
/// }
/// ```
///
/// - Parameters:
///   - count: How many indices to run, `>= 0`.
///   - width: The most calls in flight, `>= 1`.
///   - body: The job for one index.
///   - consume: Receives each job's result.
func forEachConcurrently<Result: Sendable>(
    count: Int,
    width: Int,
    _ body: @escaping @Sendable (Int) async throws -> Result,
    consume: (Result) throws -> Void
) async throws {
    precondition(count >= 0, "count must not be negative")
    precondition(width >= 1, "width must be at least 1")
    try await withThrowingTaskGroup(of: Result.self) { group in
        var next = 0
        while next < min(width, count) {
            let index = next
            group.addTask { try await body(index) }
            next += 1
        }
        while let result = try await group.next() {
            try consume(result)
            if next < count {
                let index = next
                group.addTask { try await body(index) }
                next += 1
            }
        }
        assert(next == count)
    }
}

/// Prints a progress line at most every `interval`, from the consuming loop of a run.
///
/// No timer: `tick` is called as work completes and prints only when the interval has passed,
/// so a stalled store also stalls the progress lines, which is what one wants to see.
struct ProgressReporter {
    /// The subcommand, which starts each line.
    let label: String
    /// The total number of units of work.
    let total: Int
    /// The unit's name, plural (`members`, `accruals`).
    let unit: String
    /// The least time between two lines.
    let interval: Duration = .seconds(2)

    private let start = ContinuousClock.now
    private var lastPrinted = ContinuousClock.now

    /// Creates a reporter whose clock starts now.
    init(label: String, total: Int, unit: String) {
        self.label = label
        self.total = total
        self.unit = unit
    }

    /// Prints `done` of `total` and the rate so far with `print`, if the interval has passed
    /// since the last line.
    mutating func tick(done: Int, print: (String) -> Void = printProgress) {
        let now = ContinuousClock.now
        guard now - self.lastPrinted >= self.interval else { return }
        self.lastPrinted = now
        let seconds = (now - self.start).seconds
        let percent = self.total == 0 ? 100 : Double(done) * 100 / Double(self.total)
        print(
            "\(self.label): \(done)/\(self.total) \(self.unit) (\(fixed(percent, 1)) %), "
                + "\(fixed(Double(done) / seconds, 0)) \(self.unit)/s")
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number (for statistics, never money).
    var seconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}

/// `value` with `digits` decimals, for reports.
func fixed(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}
