import CashbackCore

/// The money that moves with one accrual event: its journal lines and the balance change they
/// imply, defined together so that the two can never disagree. `c` is the cashback, `k` the
/// commission, `p` the debt a confirmation pays off (`min(debt, c)`), `Δc`/`Δk` what an
/// adjustment takes back, `a` the part of `Δc` the available balance covers, `e` the part
/// taken back from what expired.
///
/// | event   | journal lines                                          | balance change          |
/// |---------|--------------------------------------------------------|-------------------------|
/// | accrue  | pending +c, receivable −k, margin +(k−c)               | pending +c              |
/// | confirm | pending −c, available +(c−p), debt +p                  | pending −c,             |
/// |         |                                                        | available +(c−p),       |
/// |         |                                                        | lifetime +c, debt −p    |
/// | cancel  | pending −c, receivable +k, margin −(k−c)               | pending −c              |
/// | adjust, | pending −Δc, receivable +Δk, margin −(Δk−Δc)           | pending −Δc             |
/// | pending |                                                        |                         |
/// | adjust, | available −a, expired −e, debt −(Δc−e−a),             | available −a,           |
/// | confirmed | receivable +Δk, margin −(Δk−Δc)                      | expired −e,             |
/// |         |                                                        | debt +(Δc−e−a),         |
/// |         |                                                        | lifetime −Δc            |
///
/// For a confirmed accrual, `e` is what the clawback takes back of the accrual's own cashback
/// that expired unused, once what is left of its lot is taken: a refund never makes a member
/// pay for cashback that already expired.
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
        let commission = record.commissionMinorUnits
        return LedgerPosting(
            kind: .accrue,
            lines: [
                Self.member(.memberPending, record, cashback),
                Self.merchant(.merchantReceivable, record, -commission),
                Self.merchant(.platformMargin, record, commission - cashback),
            ],
            delta: BalanceDelta(pendingMinorUnits: cashback))
    }

    /// The posting that confirms a pending accrual; `debtMinorUnits` is the member's debt
    /// before it, paid off first.
    static func confirmation(of record: AccrualRecord, debtMinorUnits debt: Int64) -> LedgerPosting {
        precondition(record.state == .pending, "only a pending accrual is confirmed")
        let cashback = record.cashbackMinorUnits
        let payoff = min(debt, cashback)
        return LedgerPosting(
            kind: .confirm,
            lines: [
                Self.member(.memberPending, record, -cashback),
                Self.member(.memberAvailable, record, cashback - payoff),
                Self.member(.memberDebt, record, payoff),
            ],
            delta: BalanceDelta(
                pendingMinorUnits: -cashback, availableMinorUnits: cashback - payoff,
                lifetimeMinorUnits: cashback, debtMinorUnits: -payoff))
    }

    /// The posting that cancels a pending accrual.
    static func cancellation(of record: AccrualRecord) -> LedgerPosting {
        precondition(record.state == .pending, "only a pending accrual is cancelled")
        let cashback = record.cashbackMinorUnits
        let commission = record.commissionMinorUnits
        return LedgerPosting(
            kind: .cancel,
            lines: [
                Self.member(.memberPending, record, -cashback),
                Self.merchant(.merchantReceivable, record, commission),
                Self.merchant(.platformMargin, record, cashback - commission),
            ],
            delta: BalanceDelta(pendingMinorUnits: -cashback))
    }

    /// The posting of an adjustment from `before` to `after`. For a confirmed accrual,
    /// `availableMinorUnits` is the member's available balance before it, and `lots` what the
    /// accrual's own lots hold: the clawback takes what is left of them (part of available),
    /// then what of them expired, then the rest of available, and makes debt of what remains.
    static func adjustment(
        from before: AccrualRecord,
        to after: AccrualRecord,
        availableMinorUnits available: Int64,
        lots: LotsTable.AccrualLots = .init()
    ) -> LedgerPosting {
        let cashbackBack = before.cashbackMinorUnits - after.cashbackMinorUnits
        let commissionBack = before.commissionMinorUnits - after.commissionMinorUnits
        precondition(cashbackBack >= 0 && commissionBack >= 0, "an adjustment only lowers")
        let merchantLines = [
            Self.merchant(.merchantReceivable, before, commissionBack),
            Self.merchant(.platformMargin, before, cashbackBack - commissionBack),
        ]
        switch before.state {
        case .pending:
            return LedgerPosting(
                kind: .adjust,
                lines: [Self.member(.memberPending, before, -cashbackBack)] + merchantLines,
                delta: BalanceDelta(pendingMinorUnits: -cashbackBack))
        case .confirmed:
            let fromExpired = min(
                lots.expiredMinorUnits, max(0, cashbackBack - lots.remainingMinorUnits))
            let fromAvailable = min(available, cashbackBack - fromExpired)
            let toDebt = cashbackBack - fromExpired - fromAvailable
            // The expired line only when there is one: most refunds take nothing from it.
            let expiredLines =
                fromExpired > 0 ? [Self.member(.memberExpired, before, -fromExpired)] : []
            return LedgerPosting(
                kind: .adjust,
                lines: [Self.member(.memberAvailable, before, -fromAvailable)] + expiredLines
                    + [Self.member(.memberDebt, before, -toDebt)] + merchantLines,
                delta: BalanceDelta(
                    availableMinorUnits: -fromAvailable, lifetimeMinorUnits: -cashbackBack,
                    debtMinorUnits: toDebt, expiredMinorUnits: -fromExpired))
        case .cancelled:
            preconditionFailure("a cancelled accrual is never adjusted")
        }
    }

    private static func member(_ account: LedgerAccount, _ record: AccrualRecord, _ amount: Int64)
        -> JournalLine
    {
        JournalLine(account: account, ownerID: record.memberID, amountMinorUnits: amount)
    }

    private static func merchant(_ account: LedgerAccount, _ record: AccrualRecord, _ amount: Int64)
        -> JournalLine
    {
        JournalLine(account: account, ownerID: record.merchantID, amountMinorUnits: amount)
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
