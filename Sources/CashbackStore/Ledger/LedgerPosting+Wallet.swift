import CashbackCore

/// The postings of a member's wallet: each moves one amount between two of the member's own
/// accounts.
///
/// | event               | journal lines                      | balance change                 |
/// |---------------------|------------------------------------|--------------------------------|
/// | redeem              | available −x, spent +x             | available −x, spent +x         |
/// | refund a redemption | spent −x, available +x             | available +x                   |
/// | withdraw            | available −x, reserved +x          | available −x, reserved +x      |
/// | complete withdrawal | reserved −x, withdrawn +x          | reserved −x, withdrawn +x      |
/// | fail withdrawal     | reserved −x, available +x          | reserved −x, available +x      |
/// | expire              | available −x, expired +x           | available −x, expired +x       |
/// | manual credit       | program-adjustments −x, available +x | available +x                 |
/// | manual debit        | available −x, program-adjustments +x | available −x                 |
///
/// `spent` in the balance is gross (what was ever spent); the spent account's lines are net
/// of refunds.
extension LedgerPosting {
    static func wallet(_ kind: JournalEntryKind, memberID: String, amountMinorUnits x: Int64)
        -> LedgerPosting
    {
        precondition(x > 0, "a wallet event moves something")
        let (from, to, delta): (LedgerAccount, LedgerAccount, BalanceDelta) =
            switch kind {
            case .redeem:
                (.memberAvailable, .memberSpent, BalanceDelta(availableMinorUnits: -x, spentMinorUnits: x))
            case .refundRedemption:
                (.memberSpent, .memberAvailable, BalanceDelta(availableMinorUnits: x))
            case .withdraw:
                (.memberAvailable, .memberReserved, BalanceDelta(availableMinorUnits: -x, reservedMinorUnits: x))
            case .completeWithdrawal:
                (.memberReserved, .memberWithdrawn, BalanceDelta(reservedMinorUnits: -x, withdrawnMinorUnits: x))
            case .failWithdrawal:
                (.memberReserved, .memberAvailable, BalanceDelta(availableMinorUnits: x, reservedMinorUnits: -x))
            case .expire:
                (.memberAvailable, .memberExpired, BalanceDelta(availableMinorUnits: -x, expiredMinorUnits: x))
            case .manualCredit:
                (.programAdjustments, .memberAvailable, BalanceDelta(availableMinorUnits: x))
            case .manualDebit:
                (.memberAvailable, .programAdjustments, BalanceDelta(availableMinorUnits: -x))
            case .accrue, .confirm, .cancel, .adjust:
                preconditionFailure("\(kind) is not a wallet event")
            }
        return LedgerPosting(
            kind: kind,
            lines: [
                JournalLine(account: from, ownerID: memberID, amountMinorUnits: -x),
                JournalLine(account: to, ownerID: memberID, amountMinorUnits: x),
            ],
            delta: delta)
    }
}
