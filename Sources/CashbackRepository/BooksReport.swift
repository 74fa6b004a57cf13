/// The result of `LedgerRepository.verifyBooks()`: what was checked and every breach found.
///
/// ```swift
/// let report = try await repository.verifyBooks()
/// if !report.isBalanced { report.discrepancies.forEach { print($0) } }
/// ```
public struct BooksReport: Hashable, Sendable {
    /// Journal entries checked.
    public var journalEntryCount: Int
    /// Journal lines checked.
    public var journalLineCount: Int
    /// Accruals in the ledger (each one priced again).
    public var accrualCount: Int
    /// Member accounts (member, currency) compared, from either the journal or the balances.
    public var memberAccountCount: Int
    /// Every breach; empty when the books hold every invariant.
    public var discrepancies: [BooksDiscrepancy]

    /// `true` when no breach was found.
    public var isBalanced: Bool {
        self.discrepancies.isEmpty
    }

    /// Creates a report.
    public init(
        journalEntryCount: Int,
        journalLineCount: Int,
        accrualCount: Int,
        memberAccountCount: Int,
        discrepancies: [BooksDiscrepancy]
    ) {
        self.journalEntryCount = journalEntryCount
        self.journalLineCount = journalLineCount
        self.accrualCount = accrualCount
        self.memberAccountCount = memberAccountCount
        self.discrepancies = discrepancies
    }
}

/// One breach of an invariant of the books.
public enum BooksDiscrepancy: Hashable, Sendable, CustomStringConvertible {
    /// A journal entry whose lines do not sum to zero, that has fewer than two lines, or whose
    /// lines are in more than one currency.
    case unbalancedEntry(entryID: Int64, lineCount: Int, currencyCount: Int, sumMinorUnits: Int64)
    /// A member's materialized balance bucket differs from what `evidence` says it must be.
    case balanceMismatch(
        memberID: String,
        currency: String,
        bucket: BalanceBucket,
        evidence: BooksEvidence,
        materializedMinorUnits: Int64,
        expectedMinorUnits: Int64
    )
    /// A balance bucket that must never be negative is.
    case negativeBalance(memberID: String, currency: String, bucket: BalanceBucket, minorUnits: Int64)
    /// A (merchant, order id) pair accrued more than once.
    case duplicateOrder(merchantID: String, orderID: String, count: Int)
    /// An idempotency key applied more than once.
    case duplicateIdempotencyKey(method: String, key: String, count: Int)
    /// An accrual holds more cashback than its own rule version gives for what is left of the
    /// order.
    case cashbackAboveRules(accrualID: Int64, cashbackMinorUnits: Int64, allowedMinorUnits: Int64)
    /// The lines booked for an accrual on one side do not add up to what the accrual holds:
    /// `member` (pending, available, debt and expired) to its cashback, `merchant-receivable`
    /// to minus its commission, `platform-margin` to commission − cashback; all 0 once
    /// cancelled.
    case accrualJournalMismatch(
        accrualID: Int64, side: String, expectedMinorUnits: Int64, journalMinorUnits: Int64)
    /// An accrual whose stored pricing or rule version cannot be read.
    case unreadableAccrual(accrualID: Int64, reason: String)
    /// A withdrawal whose settlement entries disagree with its state: settled twice, or a
    /// state without its entry.
    case withdrawalSettlement(withdrawalID: Int64, state: String, completions: Int, failures: Int)
    /// A claim decided more than once, or whose link to its accrual disagrees with its state
    /// (an approved claim without its accrual, or an accrual pointing at a claim not approved).
    case claimDecision(claimID: Int64, state: String, decisions: Int, linked: Bool)
    /// A lot whose parts do not fit it: what is left or what expired is negative, or together
    /// they exceed the lot's amount.
    case lotOutOfRange(
        lotID: Int64, amountMinorUnits: Int64, remainingMinorUnits: Int64,
        expiredMinorUnits: Int64)
    /// A member's lots record more expired cashback than the member's expired balance holds
    /// (a refund would take back expired cashback that is not there).
    case expiredLotsAboveBalance(
        memberID: String, currency: String, lotsMinorUnits: Int64, heldMinorUnits: Int64)

    /// The breach's kind, in lower camel case: a stable name for scripts.
    public var kind: String {
        switch self {
        case .unbalancedEntry: "unbalancedEntry"
        case .balanceMismatch: "balanceMismatch"
        case .negativeBalance: "negativeBalance"
        case .duplicateOrder: "duplicateOrder"
        case .duplicateIdempotencyKey: "duplicateIdempotencyKey"
        case .cashbackAboveRules: "cashbackAboveRules"
        case .accrualJournalMismatch: "accrualJournalMismatch"
        case .unreadableAccrual: "unreadableAccrual"
        case .withdrawalSettlement: "withdrawalSettlement"
        case .claimDecision: "claimDecision"
        case .lotOutOfRange: "lotOutOfRange"
        case .expiredLotsAboveBalance: "expiredLotsAboveBalance"
        }
    }

    /// A sentence for a human.
    public var description: String {
        switch self {
        case .unbalancedEntry(let entryID, let lineCount, let currencyCount, let sum):
            return "journal entry \(entryID) is unbalanced: \(lineCount) lines in "
                + "\(currencyCount) currencies summing to \(sum)"
        case .balanceMismatch(
            let member, let currency, let bucket, let evidence, let held, let expected
        ):
            return "member '\(member)' \(currency) \(bucket) is \(held) "
                + "but the \(evidence) say \(expected)"
        case .negativeBalance(let member, let currency, let bucket, let amount):
            return "member '\(member)' \(currency) \(bucket) is negative: \(amount)"
        case .duplicateOrder(let merchant, let order, let count):
            return "order '\(order)' of merchant '\(merchant)' is accrued \(count) times"
        case .duplicateIdempotencyKey(let method, let key, let count):
            return "idempotency key '\(key)' of \(method) is applied \(count) times"
        case .cashbackAboveRules(let accrual, let cashback, let allowed):
            return "accrual \(accrual) holds cashback \(cashback) but its rule version gives "
                + "at most \(allowed)"
        case .accrualJournalMismatch(let accrual, let side, let expected, let journal):
            return "accrual \(accrual) should hold \(expected) on its \(side) lines but the "
                + "journal says \(journal)"
        case .unreadableAccrual(let accrual, let reason):
            return "accrual \(accrual) cannot be priced again: \(reason)"
        case .withdrawalSettlement(let withdrawal, let state, let completions, let failures):
            return "withdrawal \(withdrawal) is \(state) with \(completions) completion and "
                + "\(failures) failure entries"
        case .claimDecision(let claim, let state, let decisions, let linked):
            return "claim \(claim) is \(state) with \(decisions) decisions and "
                + (linked ? "an accrual linked both ways" : "no accrual linked both ways")
        case .lotOutOfRange(let lot, let amount, let remaining, let expired):
            return "lot \(lot) of \(amount) has \(remaining) left and \(expired) expired, "
                + "which do not fit it"
        case .expiredLotsAboveBalance(let member, let currency, let lots, let held):
            return "member '\(member)' \(currency) lots record \(lots) expired but the expired "
                + "balance is \(held)"
        }
    }
}

/// A bucket of a member's materialized balance.
public enum BalanceBucket: String, Hashable, Sendable, CustomStringConvertible {
    /// `Balance.pendingMinorUnits`.
    case pending
    /// `Balance.availableMinorUnits`.
    case available
    /// `Balance.lifetimeMinorUnits`.
    case lifetime
    /// `Balance.debtMinorUnits`.
    case debt
    /// `Balance.reservedMinorUnits`.
    case reserved
    /// `Balance.spentMinorUnits`.
    case spent
    /// `Balance.withdrawnMinorUnits`.
    case withdrawn
    /// `Balance.expiredMinorUnits`.
    case expired

    /// The bucket's name.
    public var description: String {
        self.rawValue
    }
}

/// What a materialized balance was compared against.
public enum BooksEvidence: String, Hashable, Sendable, CustomStringConvertible {
    /// The sum of the member account's journal lines.
    case journal
    /// The cashback of the member's accruals in the matching state (pending accruals for
    /// pending, confirmed accruals for lifetime).
    case accruals
    /// What is left in the member's lots (for available).
    case lots
    /// The member's withdrawals (reserved ones for reserved, completed ones for withdrawn).
    case withdrawals
    /// The member's redemptions (for spent).
    case redemptions

    /// The evidence's name, plural, for sentences.
    public var description: String {
        switch self {
        case .journal: "journal lines"
        case .accruals: "accruals"
        case .lots: "lots"
        case .withdrawals: "withdrawals"
        case .redemptions: "redemptions"
        }
    }
}
