import ArgumentParser
import CashbackCore
import CashbackRepository
import CashbackStore
import Foundation

/// `cashback-storebench accrue`: durable accruals through the store, many in flight.
struct AccrueBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accrue",
        abstract: "Measure durable Accrue at the store (no RPC): accruals/s and latency.",
        discussion: """
            Books --count new orders (unique ids, so nothing is a replay) at merchant \
            storebench-accrue, --concurrency at once, for members member-0 to \
            member-(--members - 1) in turn (the members preload creates; an empty file \
            works too). Each accrual is \
            committed and synced (synchronous = FULL) before it counts. Also reports this \
            process's writes per accrual from /proc/self/io. Exit status 1 when the ledger \
            refused any accrual (for example a member over the velocity limit).
            """)

    @OptionGroup var store: StoreOptions

    @OptionGroup(title: "Run") var load: RunOptions

    @Option(help: "The velocity limit the store applies, as cashbackd's flag of that name.")
    var accrualsPerMemberPerHour = WalletPolicy.default.accrualsPerMemberPerHour

    /// The merchant every benchmark accrual goes to.
    static let merchantID = "storebench-accrue"

    func validate() throws {
        let (count, members) = (load.count, load.members)
        let perMember = (count + members - 1) / members
        guard perMember <= accrualsPerMemberPerHour else {
            throw ValidationError(
                "--count \(count) over --members \(members) is \(perMember) new accruals per "
                    + "member, above the velocity limit of \(accrualsPerMemberPerHour) per hour; "
                    + "raise --members (or --accruals-per-member-per-hour)")
        }
    }

    func run() async throws {
        let (count, concurrency, members) = (load.count, load.concurrency, load.members)
        let currency = try validatedCurrency(load.currency)
        var policy = WalletPolicy.default
        policy.accrualsPerMemberPerHour = accrualsPerMemberPerHour
        let repository = try store.open(for: "accrue", policy: policy)
        try await Self.registerMerchant(currency, in: repository)

        // Unique per run, so that a second run on the same file books new orders.
        let run = String(UInt64(Date().timeIntervalSince1970 * 1_000), radix: 36)
        let firstMember = Int.random(in: 0..<members)
        let walBefore = fileSize(store.database + "-wal")
        let writesBefore = ProcessWrites.now()
        let writerBefore = repository.writerStatistics()
        var latencies = LatencySamples(capacity: count)
        var rejections = RejectionTally()
        var reporter = ProgressReporter(label: "accrue", total: count, unit: "accruals")
        var done = 0
        let clock = ContinuousClock()
        let start = clock.now
        try await forEachConcurrently(count: count, width: concurrency) { [members] index in
            let command = try AccrueCommand(
                merchantID: Self.merchantID, orderID: "ab-\(run)-\(index)",
                memberID: PreloadPlan.memberID((firstMember + index) % members),
                eligibleMinorUnits: 1_000 + Int64(index % 98_999) * 7_919 % 98_999,
                currency: currency.rawValue,
                orderedAtMilliseconds: PreloadPlan.orderedAtMilliseconds)
            let begun = clock.now
            let result = try await repository.accrue(command)
            return (clock.now - begun, result.map { _ in () })
        } consume: { (latency: Duration, result: Result<Void, LedgerRejection>) in
            latencies.record(latency)
            if case .failure(let rejection) = result { rejections.add(rejection) }
            done += 1
            reporter.tick(done: done)
        }
        let elapsed = clock.now - start
        let writesAfter = ProcessWrites.now()
        let commits = CommitFigures(repository.writerStatistics(), since: writerBefore)
        try repository.close()

        let report = AccrueReport(
            accruals: count - rejections.count, rejected: rejections.count,
            rejections: rejections.quoted, concurrency: concurrency, members: members,
            seconds: elapsed.seconds,
            accrualsPerSecond: Double(count - rejections.count) / elapsed.seconds,
            latencyMilliseconds: latencies.summary(), commitMode: store.commitMode.rawValue,
            commits: commits,
            writesPerAccrual: writesBefore.flatMap { before in
                writesAfter?.perOperation(since: before, operations: count)
            },
            walFileBytesBefore: walBefore, walFileBytesAfter: fileSize(store.database + "-wal"))
        try emit(report, text: report.text, format: store.format)
        guard rejections.count == 0 else { throw ExitCode(1) }
    }

    /// Registers the benchmark's merchant (a replay after the first run).
    static func registerMerchant(
        _ currency: CurrencyCode, in repository: any LedgerRepository
    ) async throws {
        let upsert = try MerchantUpsert(
            merchantID: merchantID, name: "Store bench accruals", currency: currency.rawValue,
            shopperRateBasisPoints: 250, commissionBasisPoints: 400, holdDays: 30,
            cashbackExpiryDays: 365, idempotencyKey: "storebench-accrue-\(currency)")
        if case .failure(let rejection) = try await repository.upsertMerchant(
            upsert, actor: Preloader.actor)
        {
            throw BenchFailure(
                "accrue: cannot register merchant \(merchantID) in \(currency): \(rejection); "
                    + "use the --currency of the first run on this --database, or another file")
        }
    }
}

/// Refusals of a run: how many, and the first few in words.
struct RejectionTally {
    private(set) var count = 0
    private(set) var quoted: [String] = []

    /// Counts one refusal.
    mutating func add(_ rejection: LedgerRejection) {
        self.count += 1
        if self.quoted.count < Preloader.quotedRejectionsMax {
            self.quoted.append(rejection.description)
        }
    }
}

/// The writer's transactions over a run: each is one commit and one sync of the WAL.
struct CommitFigures: Encodable {
    /// Transactions committed.
    var commits: Int
    /// Commands they carried.
    var commands: Int
    /// The largest batch since the store opened.
    var largestBatch: Int
    /// Commands per commit, on average.
    var commandsPerCommit: Double

    /// What the writer did between `earlier` and `now`.
    init(_ now: WriterStatistics, since earlier: WriterStatistics) {
        self.commits = now.batches - earlier.batches
        self.commands = now.commands - earlier.commands
        self.largestBatch = now.largestBatch
        self.commandsPerCommit = self.commits > 0 ? Double(self.commands) / Double(self.commits) : 0
    }

    /// `2000 commands in 312 commits (6.4 per commit, largest batch 64)`.
    var text: String {
        "\(commands) commands in \(commits) commits (\(fixed(commandsPerCommit, 1)) per commit, "
            + "largest batch \(largestBatch))"
    }
}

/// What `accrue` measured.
struct AccrueReport: Encodable {
    let command = "accrue"
    var accruals: Int
    var rejected: Int
    var rejections: [String]
    var concurrency: Int
    var members: Int
    var seconds: Double
    var accrualsPerSecond: Double
    var latencyMilliseconds: LatencySummary
    /// `group` or `per-request`.
    var commitMode: String
    /// The writer's transactions during the run.
    var commits: CommitFigures
    /// This process's writes per accrual (nil off Linux).
    var writesPerAccrual: WritesPerOperation?
    /// The `-wal` file's size before and after. SQLite reuses the file from its start after
    /// each checkpoint, so this is the WAL's high-water mark, not the bytes written.
    var walFileBytesBefore: Int64
    var walFileBytesAfter: Int64

    /// The report in words.
    var text: String {
        var lines = [
            "accrue: \(accruals) durable accruals, concurrency \(concurrency), "
                + "\(fixed(seconds, 2)) s: \(fixed(accrualsPerSecond, 0)) accruals/s",
            "  latency: \(latencyMilliseconds.text)",
            "  writer (\(commitMode)): \(commits.text)",
        ]
        if let writes = writesPerAccrual {
            lines.append("  writes per accrual (this process, /proc/self/io): \(writes.text)")
        }
        lines.append(
            "  -wal file: \(walFileBytesBefore / 1024) KiB before, "
                + "\(walFileBytesAfter / 1024) KiB after")
        if rejected > 0 {
            lines.append("  \(rejected) accrual(s) refused; the first:")
            lines += rejections.map { "    \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}
