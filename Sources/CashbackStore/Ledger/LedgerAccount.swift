/// The kinds of account the journal books against; the raw values are stored.
///
/// An account is (kind, owner id, currency): the owner is a member for the member kinds and a
/// merchant for the receivable and the margin.
///
/// Signs: a line's amount is signed and every entry sums to zero. The member's pending and
/// available balances are the sums of their lines; the member's debt is the negated sum of the
/// debt account's lines (what the member owes, like the receivable, sits on the negative
/// side); the merchant receivable is negative for what the merchant owes; the platform margin
/// is the sum of its lines.
enum LedgerAccount: String, Sendable, CaseIterable {
    /// A member's cashback not yet confirmed.
    case memberPending = "member-pending"
    /// A member's confirmed cashback, spendable and withdrawable.
    case memberAvailable = "member-available"
    /// What a merchant owes the program: the commission of its orders (for accruals migrated
    /// from v1, which had no commission, the cashback passed on).
    case merchantReceivable = "merchant-receivable"
    /// What a member owes the program after a refund clawed back more than was available.
    case memberDebt = "member-debt"
    /// The program's margin on a merchant's orders: commission − cashback.
    case platformMargin = "platform-margin"
    /// A member's cashback set aside for withdrawals in flight.
    case memberReserved = "member-reserved"
    /// What a member spent on purchases, net of refunds of redemptions.
    case memberSpent = "member-spent"
    /// What a member was paid out.
    case memberWithdrawn = "member-withdrawn"
    /// What expired unused.
    case memberExpired = "member-expired"
    /// The program's side of manual credits and debits (owner: the member).
    case programAdjustments = "program-adjustments"
}

/// What a journal entry records; the raw values are stored.
enum JournalEntryKind: String, Sendable, CaseIterable {
    /// An accrual was booked as pending.
    case accrue
    /// An accrual was confirmed.
    case confirm
    /// An accrual was cancelled.
    case cancel
    /// A refund lowered an accrual's eligible amount.
    case adjust
    /// A member spent available cashback.
    case redeem
    /// A redemption was refunded.
    case refundRedemption = "refund-redemption"
    /// A withdrawal reserved available cashback.
    case withdraw
    /// A withdrawal was paid out.
    case completeWithdrawal = "complete-withdrawal"
    /// A withdrawal failed; its amount went back to available.
    case failWithdrawal = "fail-withdrawal"
    /// Lots expired.
    case expire
    /// An admin credited a member's available balance.
    case manualCredit = "manual-credit"
    /// An admin debited a member's available balance.
    case manualDebit = "manual-debit"
}

/// One line of a journal entry: a signed amount on one account.
struct JournalLine: Hashable, Sendable {
    /// The account's kind.
    var account: LedgerAccount
    /// The member or merchant that owns the account.
    var ownerID: String
    /// Signed minor units: positive raises a member account's balance.
    var amountMinorUnits: Int64
}

extension JournalEntryKind {
    /// The table `journal_entries.source_id` refers to for this kind, if any.
    var sourceTable: LotsTable.Source? {
        switch self {
        case .redeem, .refundRedemption: .redemption
        case .withdraw, .completeWithdrawal, .failWithdrawal: .withdrawal
        case .accrue, .confirm, .cancel, .adjust, .expire, .manualCredit, .manualDebit: nil
        }
    }
}
