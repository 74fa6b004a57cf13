import CashbackCore

/// The money that moves with one accrual event: its journal lines and the balance change they
/// imply, defined together so that the two can never disagree.
///
/// | event   | journal lines                              | balance change                  |
/// |---------|--------------------------------------------|---------------------------------|
/// | accrue  | member pending +c, merchant receivable −c  | pending +c                      |
/// | confirm | member pending −c, member available +c     | pending −c, available +c,       |
/// |         |                                            | lifetime +c                     |
/// | cancel  | member pending −c, merchant receivable +c  | pending −c                      |
struct LedgerPosting: Hashable, Sendable {
    /// What the entry records.
    var kind: JournalEntryKind
    /// The entry's lines; they sum to zero.
    var lines: [JournalLine]
    /// The change of the member's balance.
    var delta: BalanceDelta

    /// The posting that books a new pending accrual.
    static func accrual(of record: AccrualRecord) -> LedgerPosting {
        assert(record.state == .pending)
        let cashback = record.cashbackMinorUnits
        return LedgerPosting(
            kind: .accrue,
            lines: [
                JournalLine(
                    account: .memberPending,
                    ownerID: record.memberID,
                    amountMinorUnits: cashback
                ),
                JournalLine(
                    account: .merchantReceivable,
                    ownerID: record.merchantID,
                    amountMinorUnits: -cashback
                ),
            ],
            delta: BalanceDelta(pendingMinorUnits: cashback)
        )
    }

    /// The posting that moves a pending accrual to `state`.
    static func transition(of record: AccrualRecord, to state: AccrualState) -> LedgerPosting {
        precondition(record.state == .pending, "only a pending accrual moves")
        let cashback = record.cashbackMinorUnits
        let member = record.memberID
        switch state {
        case .confirmed:
            return LedgerPosting(
                kind: .confirm,
                lines: [
                    JournalLine(
                        account: .memberPending,
                        ownerID: member,
                        amountMinorUnits: -cashback
                    ),
                    JournalLine(
                        account: .memberAvailable,
                        ownerID: member,
                        amountMinorUnits: cashback
                    ),
                ],
                delta: BalanceDelta(
                    pendingMinorUnits: -cashback,
                    availableMinorUnits: cashback,
                    lifetimeMinorUnits: cashback
                )
            )
        case .cancelled:
            return LedgerPosting(
                kind: .cancel,
                lines: [
                    JournalLine(
                        account: .memberPending,
                        ownerID: member,
                        amountMinorUnits: -cashback
                    ),
                    JournalLine(
                        account: .merchantReceivable,
                        ownerID: record.merchantID,
                        amountMinorUnits: cashback
                    ),
                ],
                delta: BalanceDelta(pendingMinorUnits: -cashback)
            )
        case .pending:
            preconditionFailure("no event moves an accrual back to pending")
        }
    }

    /// `true` when the lines sum to zero without overflow: the double-entry invariant.
    var isBalanced: Bool {
        var sum: Int64 = 0
        for line in self.lines {
            let (next, overflow) = sum.addingReportingOverflow(line.amountMinorUnits)
            if overflow { return false }
            sum = next
        }
        return sum == 0 && self.lines.count >= 2
    }
}
