import ArgumentParser

/// `cashback-storebench preload`: fills a ledger file with merchants and members' histories.
struct Preload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create merchants and, for each member, a history of accruals and spending.",
        discussion: """
            Member i (member-i) shops at storebench-shop-(i mod --merchants): one order \
            accrued and confirmed, one accrued and left pending, and every fourth member \
            spends half of the confirmed cashback. Every command goes through the ledger's \
            repository API, --concurrency members at once. Ids and keys come from the member's \
            index, so running the same preload again replays every command and writes \
            nothing. Exit status 1 when the ledger refused a command (the first ones are \
            quoted).
            """)

    @OptionGroup var store: StoreOptions

    @Option(help: "Members to create, member-0 to member-(N-1).")
    var members: Int

    @Option(help: "The currency of the merchants and orders (ISO 4217).")
    var currency = "EUR"

    @Option(
        help: "Merchants the members shop at, at most --members. (default: 10, or --members)")
    var merchants: Int?

    @Option(help: "Members in flight at once.")
    var concurrency = 256

    func validate() throws {
        guard concurrency >= 1 else {
            throw ValidationError("--concurrency must be at least 1, got \(concurrency)")
        }
    }

    func run() async throws {
        let plan: PreloadPlan
        do {
            plan = try PreloadPlan(
                members: members, merchants: merchants ?? min(10, members), currency: currency)
        } catch let error as PreloadPlan.Invalid {
            throw ValidationError(error.description)
        }
        let repository = try store.open(for: "preload")
        let summary = try await Preloader(
            plan: plan, repository: repository, concurrency: concurrency,
            progress: { printProgress($0) }
        ).run()
        try repository.close()
        try emit(summary, text: Self.text(summary), format: store.format)
        guard summary.rejections == 0 else { throw ExitCode(1) }
    }

    /// The summary in words.
    static func text(_ summary: PreloadSummary) -> String {
        var lines = [
            "preload: \(summary.members) members at \(summary.merchants) merchants, "
                + "\(summary.commands) commands (\(summary.replayed) replays) in "
                + "\(fixed(summary.seconds, 1)) s",
            "  \(fixed(summary.membersPerSecond, 0)) members/s, "
                + "\(fixed(summary.commandsPerSecond, 0)) commands/s",
        ]
        if summary.rejections > 0 {
            lines.append("  \(summary.rejections) command(s) refused; the first:")
            lines += summary.quotedRejections.map { "    \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}
