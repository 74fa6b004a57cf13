/// The kinds of account the journal books against; the raw values are stored.
///
/// An account is (kind, owner id, currency): the owner is a member for the member kinds and a
/// merchant for the receivable.
enum LedgerAccount: String, Sendable, CaseIterable {
    /// A member's cashback not yet confirmed.
    case memberPending = "member-pending"
    /// A member's confirmed cashback, spendable and withdrawable.
    case memberAvailable = "member-available"
    /// What the program is owed by a merchant for the cashback it passes on; the opposite
    /// side of every accrual and cancellation.
    case merchantReceivable = "merchant-receivable"
}

/// What a journal entry records; the raw values are stored.
enum JournalEntryKind: String, Sendable, CaseIterable {
    /// An accrual was booked as pending.
    case accrue
    /// An accrual was confirmed.
    case confirm
    /// An accrual was cancelled.
    case cancel
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
