/// What a `bench` run does: how many connections and concurrent calls, and when it stops.
/// Built from the command line by ``init(options:)``, which refuses every value
/// out of its bounds as a usage error (exit 2) before anything is sent.
struct BenchPlan: Equatable {
    /// When the run stops taking new requests.
    enum Stop: Equatable {
        /// After this many calls in all (`-n`).
        case count(Int)
        /// Once this long has passed since the first call (`-z`); calls in flight finish.
        case duration(Duration)
    }

    /// Connections opened (`-c`), each a client of its own.
    var connections: Int
    /// Calls kept in flight on each connection (`-m`): one worker each.
    var callsPerConnection: Int
    var stop: Stop
    /// What the workers' generators for `{{random:N}}` are seeded from (`--seed`; without it,
    /// drawn at random). The report shows it, so a run can be repeated with the same values.
    var seed: UInt64

    /// Workers in all: each makes one call at a time.
    var workers: Int { connections * callsPerConnection }

    // MARK: Bounds
    //
    // Wide enough for any real run on one machine, narrow enough that a typo (`-n 1e9`, `-z
    // 10h`) is refused instead of running for a day.

    /// The server's default `--max-connections-per-peer`: more would be refused there anyway.
    static let connectionsMax = 256
    static let callsPerConnectionMax = 1_000
    static let workersMax = 10_000
    static let totalMax = 10_000_000
    static let durationMax: Duration = .seconds(3_600)
    static let durationMin: Duration = .milliseconds(1)

    /// The plan the bench flags describe.
    ///
    /// - Throws: ``ProbeUsageError`` naming the flag and its bounds.
    init(options: ProbeOptions) throws {
        connections = try Self.bounded(
            options.connections ?? 1, flag: "-c (connections)", 1...Self.connectionsMax)
        callsPerConnection = try Self.bounded(
            options.callsPerConnection ?? 1, flag: "-m (concurrent calls per connection)",
            1...Self.callsPerConnectionMax)
        guard connections * callsPerConnection <= Self.workersMax else {
            throw ProbeUsageError(
                "-c × -m is \(connections * callsPerConnection) concurrent calls; at most "
                    + "\(Self.workersMax)")
        }
        switch (options.total, options.duration) {
        case (let total?, nil):
            stop = .count(try Self.bounded(total, flag: "-n (calls in all)", 1...Self.totalMax))
        case (nil, let text?):
            let duration = try Self.parseDuration(text)
            guard duration >= Self.durationMin, duration <= Self.durationMax else {
                throw ProbeUsageError("-z must be from 1ms to 1h, got \(text)")
            }
            stop = .duration(duration)
        case (nil, nil):
            throw ProbeUsageError("bench needs -n CALLS or -z DURATION (e.g. -n 10000, -z 10s)")
        case (.some, .some):
            throw ProbeUsageError("bench takes -n or -z, not both")
        }
        seed = options.seed ?? UInt64.random(in: .min ... .max)
    }

    /// Whether any bench flag was given: other verbs refuse them.
    static func anyFlagGiven(in options: ProbeOptions) -> Bool {
        options.connections != nil || options.callsPerConnection != nil || options.total != nil
            || options.duration != nil || options.seed != nil
    }

    private static func bounded(_ value: Int, flag: String, _ range: ClosedRange<Int>) throws -> Int {
        guard range.contains(value) else {
            throw ProbeUsageError(
                "\(flag) must be from \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
        return value
    }

    /// `10s`, `500ms`, `1m`, `1.5s`: a decimal number and a unit, ms, s or m.
    ///
    /// - Throws: ``ProbeUsageError`` when the unit is missing or unknown, or the number is not
    ///   one.
    static func parseDuration(_ text: String) throws -> Duration {
        let digits = text.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unit = text[digits.endIndex...]
        let milliseconds: Double
        switch unit {
        case "ms": milliseconds = 1
        case "s": milliseconds = 1_000
        case "m": milliseconds = 60_000
        default:
            throw ProbeUsageError(
                "-z '\(text)' needs a number and a unit, ms, s or m (e.g. 500ms, 10s, 1m)")
        }
        // Bounded before converting: the product below then fits an Int64 of microseconds.
        guard let number = Double(digits), number.isFinite, number <= 1e9 else {
            throw ProbeUsageError("-z '\(text)' does not start with a number (e.g. 10s)")
        }
        return .microseconds(Int64((number * milliseconds * 1_000).rounded()))
    }
}
