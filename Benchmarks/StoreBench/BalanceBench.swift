import ArgumentParser
import CashbackCore
import CashbackRepository

/// `cashback-storebench balance`: balance reads through the store, over preloaded members.
struct BalanceBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balance",
        abstract: "Measure GetBalance at the store (no RPC): reads/s and latency.",
        discussion: """
            Reads the balance of --count members drawn at random (seeded) from member-0 to \
            member-(--members - 1), --concurrency at once. Give the --members and --currency \
            of the preload. Reads run on the store's reader connections over WAL snapshots. \
            Exit status 1 when no member read had ever been credited (a file that was not \
            preloaded with these --members).
            """)

    @OptionGroup var store: StoreOptions

    @OptionGroup(title: "Run") var load: RunOptions

    @Option(help: "Seed of the random member choice; the same seed reads the same members.")
    var seed: UInt64 = 1

    func run() async throws {
        let (count, concurrency, members) = (load.count, load.concurrency, load.members)
        let currency = try validatedCurrency(load.currency)
        let repository = try store.open(for: "balance")
        var latencies = LatencySamples(capacity: count)
        var neverCredited = 0
        var reporter = ProgressReporter(label: "balance", total: count, unit: "reads")
        var done = 0
        let clock = ContinuousClock()
        let start = clock.now
        try await forEachConcurrently(count: count, width: concurrency) {
            [members, seed] index in
            let member = Int(mixed(seed &+ UInt64(index)) % UInt64(members))
            let begun = clock.now
            let balance = try await repository.balance(
                memberID: PreloadPlan.memberID(member), currency: currency)
            let neverCredited = balance.lifetimeMinorUnits == 0 && balance.pendingMinorUnits == 0
            return (clock.now - begun, neverCredited)
        } consume: { (latency: Duration, isZero: Bool) in
            latencies.record(latency)
            if isZero { neverCredited += 1 }
            done += 1
            reporter.tick(done: done)
        }
        let elapsed = clock.now - start
        try repository.close()

        let report = BalanceReport(
            reads: count, concurrency: concurrency, members: members,
            membersNeverCredited: neverCredited, seconds: elapsed.seconds,
            readsPerSecond: Double(count) / elapsed.seconds,
            balanceCacheEntries: store.balanceCacheEntries,
            latencyMilliseconds: latencies.summary())
        try emit(report, text: report.text, format: store.format)
        guard neverCredited < count else {
            printProgress(
                "balance: none of the \(count) members read had a balance in \(currency): "
                    + "preload \(store.database) first, with --members \(members) --currency "
                    + "\(currency)")
            throw ExitCode(1)
        }
    }
}

/// SplitMix64's output function: a well-mixed 64-bit value for each input, so that
/// `mixed(seed + index)` draws members at random without shared generator state.
func mixed(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// What `balance` measured.
struct BalanceReport: Encodable {
    let command = "balance"
    var reads: Int
    var concurrency: Int
    var members: Int
    /// Reads that found a member with neither pending nor lifetime cashback.
    var membersNeverCredited: Int
    var seconds: Double
    var readsPerSecond: Double
    /// The store's in-memory balances (0: every read goes to the file).
    var balanceCacheEntries: Int
    var latencyMilliseconds: LatencySummary

    /// The report in words.
    var text: String {
        var lines = [
            "balance: \(reads) reads over \(members) members, concurrency \(concurrency), "
                + "balance cache \(balanceCacheEntries), \(fixed(seconds, 2)) s: "
                + "\(fixed(readsPerSecond, 0)) reads/s",
            "  latency: \(latencyMilliseconds.text)",
        ]
        if membersNeverCredited > 0 {
            lines.append("  \(membersNeverCredited) read(s) found a member never credited")
        }
        return lines.joined(separator: "\n")
    }
}
