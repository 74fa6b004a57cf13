import CashbackCore
import CashbackRepository
import CashbackStore

/// Books a `PreloadPlan` through the repository, many members at once.
///
/// Each member's commands run in order (accrue, confirm, accrue, maybe redeem), and up to
/// `concurrency` members are in flight, so the store's writer always has that many commands
/// waiting: it goes as fast as the writer allows, and batches them once it commits in groups.
/// Members are produced as slots free up, so memory does not grow with the plan.
///
/// ```swift
/// let summary = try await Preloader(plan: plan, repository: repository).run()
/// print(summary.commands, summary.rejections)
/// ```
struct Preloader: Sendable {
    /// What to book.
    let plan: PreloadPlan
    /// Where.
    let repository: any LedgerRepository
    /// Members in flight at once.
    var concurrency = 256
    /// Called with each progress line; nil prints none.
    var progress: (@Sendable (String) -> Void)? = nil

    /// The actor the merchants' registrations record.
    static let actor = "cashback-storebench"
    /// How many refusals the summary quotes.
    static let quotedRejectionsMax = 5

    /// Registers the merchants, then books every member's history.
    ///
    /// - Returns: What was booked, replayed and refused, and how long it took.
    /// - Throws: A store failure (the run stops at the first one); a command the ledger
    ///   refuses is not thrown but counted in the summary.
    func run() async throws -> PreloadSummary {
        let clock = ContinuousClock()
        let start = clock.now
        var summary = PreloadSummary(members: self.plan.members, merchants: self.plan.merchants)
        for index in 0..<self.plan.merchants {
            let upsert = try self.plan.merchantUpsert(index)
            switch try await self.repository.upsertMerchant(upsert, actor: Self.actor) {
            case .success(let outcome): summary.count(replayed: outcome.replayed)
            case .failure(let rejection): summary.refuse(rejection, member: nil)
            }
        }
        guard summary.rejections == 0 else { return summary.finished(after: clock.now - start) }

        var reporter = ProgressReporter(label: "preload", total: self.plan.members, unit: "members")
        var done = 0
        try await forEachConcurrently(count: self.plan.members, width: self.concurrency) {
            [plan, repository] index in
            try await Self.book(plan.history(ofMember: index), plan.currency, in: repository)
        } consume: { member in
            summary.merge(member)
            done += 1
            if let progress = self.progress {
                reporter.tick(done: done, print: progress)
            }
        }
        return summary.finished(after: clock.now - start)
    }

    /// Books one member's history, in order; stops at the first refusal.
    static func book(
        _ member: MemberHistory, _ currency: CurrencyCode, in repository: any LedgerRepository
    ) async throws -> PreloadSummary {
        var summary = PreloadSummary(members: 0, merchants: 0)
        let confirmed: AccrualRecord
        switch try await repository.accrue(try member.confirmedAccrual(currency)) {
        case .failure(let rejection): return summary.refused(rejection, member: member)
        case .success(let outcome):
            summary.count(replayed: outcome.replayed)
            confirmed = outcome.record
        }
        let reference = try OrderReference(
            merchantID: member.merchantID, orderID: member.confirmedOrderID)
        if case .failure(let rejection) = try await repository.confirm(reference) {
            return summary.refused(rejection, member: member)
        }
        // Confirming a confirmed accrual answers it unchanged: written or not, it is one command.
        summary.commands += 1
        switch try await repository.accrue(try member.pendingAccrual(currency)) {
        case .failure(let rejection): return summary.refused(rejection, member: member)
        case .success(let outcome): summary.count(replayed: outcome.replayed)
        }
        let half = confirmed.cashbackMinorUnits / 2
        if member.spendsHalf, half > 0 {
            switch try await repository.redeem(try member.redemption(half, currency)) {
            case .failure(let rejection): return summary.refused(rejection, member: member)
            case .success(let outcome): summary.count(replayed: outcome.replayed)
            }
        }
        return summary
    }
}

/// What a preload did.
struct PreloadSummary: Encodable, Sendable {
    /// Members in the plan.
    var members: Int
    /// Merchants in the plan.
    var merchants: Int
    /// Commands sent: merchant registrations, accruals, confirmations, redemptions.
    var commands = 0
    /// Commands that were replays of a previous run (nothing written). Confirmations are not
    /// told apart and never counted here.
    var replayed = 0
    /// Commands the ledger refused.
    var rejections = 0
    /// The first refusals, each with the member it concerns.
    var quotedRejections: [String] = []
    /// Wall-clock seconds of the whole run.
    var seconds = 0.0

    /// Members booked per second.
    var membersPerSecond = 0.0
    /// Commands per second.
    var commandsPerSecond = 0.0
    /// The subcommand, for a script reading the JSON.
    let command = "preload"

    /// Counts one command answered with success.
    mutating func count(replayed: Bool) {
        self.commands += 1
        if replayed { self.replayed += 1 }
    }

    /// Counts one refused command.
    mutating func refuse(_ rejection: LedgerRejection, member: MemberHistory?) {
        self.commands += 1
        self.rejections += 1
        if self.quotedRejections.count < Preloader.quotedRejectionsMax {
            let subject = member.map { "\($0.memberID): " } ?? ""
            self.quotedRejections.append(subject + rejection.description)
        }
    }

    /// This summary with one more refused command.
    func refused(_ rejection: LedgerRejection, member: MemberHistory) -> PreloadSummary {
        var copy = self
        copy.refuse(rejection, member: member)
        return copy
    }

    /// Adds one member's counts.
    mutating func merge(_ other: PreloadSummary) {
        self.commands += other.commands
        self.replayed += other.replayed
        self.rejections += other.rejections
        let room = Preloader.quotedRejectionsMax - self.quotedRejections.count
        self.quotedRejections += other.quotedRejections.prefix(max(room, 0))
    }

    /// This summary with its duration.
    func finished(after duration: Duration) -> PreloadSummary {
        var copy = self
        copy.seconds = duration.seconds
        if copy.seconds > 0 {
            copy.membersPerSecond = Double(copy.members) / copy.seconds
            copy.commandsPerSecond = Double(copy.commands) / copy.seconds
        }
        return copy
    }
}
