/// The result of `LedgerRepository.verifyBooks()`: what was checked and what did not add up.
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
    /// Accruals in the ledger.
    public var accrualCount: Int
    /// Member accounts (member, currency) compared, from either the journal or the balances.
    public var memberAccountCount: Int
    /// Everything that did not add up; empty when the books balance.
    public var discrepancies: [BooksDiscrepancy]

    /// `true` when no discrepancy was found.
    public var isBalanced: Bool {
        self.discrepancies.isEmpty
    }

    /// Creates a report.
    ///
    /// - Parameters:
    ///   - journalEntryCount: Journal entries checked.
    ///   - journalLineCount: Journal lines checked.
    ///   - accrualCount: Accruals in the ledger.
    ///   - memberAccountCount: Member accounts compared.
    ///   - discrepancies: What did not add up.
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

/// One thing that does not add up in the books.
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

    /// A sentence for a human.
    public var description: String {
        switch self {
        case .unbalancedEntry(let entryID, let lineCount, let currencyCount, let sum):
            return "journal entry \(entryID) is unbalanced: \(lineCount) lines in "
                + "\(currencyCount) currencies summing to \(sum)"
        case .balanceMismatch(
            let member,
            let currency,
            let bucket,
            let evidence,
            let held,
            let expected
        ):
            return "member '\(member)' \(currency) \(bucket) is \(held) "
                + "but the \(evidence) say \(expected)"
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

    /// The bucket's name.
    public var description: String {
        self.rawValue
    }
}

/// What a materialized balance was compared against.
public enum BooksEvidence: String, Hashable, Sendable, CustomStringConvertible {
    /// The sum of the member account's journal lines (for lifetime: the lines that confirm
    /// entries credited to the available account).
    case journal
    /// The cashback of the member's accruals in the matching state (pending accruals for
    /// pending, confirmed accruals for lifetime).
    case accruals

    /// The evidence's name, plural, for sentences.
    public var description: String {
        switch self {
        case .journal: "journal lines"
        case .accruals: "accruals"
        }
    }
}
