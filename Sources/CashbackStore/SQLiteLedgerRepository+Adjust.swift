import CashbackCore
import CashbackRepository
import GRDB

extension SQLiteLedgerRepository {
    /// Applies a refund to an accrual, idempotently on the key.
    ///
    /// See `LedgerRepository.adjust(_:)` for the rules and their order.
    ///
    /// ```swift
    /// let outcome = try await repository.adjust(
    ///     try AdjustCommand(merchantID: "shop-1", orderID: "o-1", idempotencyKey: "r-1",
    ///                       newAmountMinorUnits: 5_000))
    /// ```
    public func adjust(
        _ command: AdjustCommand
    ) async throws -> Result<AdjustOutcome, LedgerRejection> {
        let now = self.clock()
        return try await self.writer.perform { db in
            try Idempotent.run(
                db, method: "Accruals/Adjust", key: command.idempotencyKey, request: command,
                nowMilliseconds: now
            ) {
                try Self.adjust(command, in: db, nowMilliseconds: now)
            }
        }
    }

    /// The body of `adjust(_:)`, inside the writer's transaction.
    static func adjust(
        _ command: AdjustCommand,
        in db: Database,
        nowMilliseconds: Int64
    ) throws -> Result<AdjustOutcome, LedgerRejection> {
        let ref = command.orderReference
        guard let before = try AccrualsTable.fetch(db, ref)?.record else {
            return .failure(LedgerRejection(.accrualNotFound, "no accrual for \(ref)"))
        }
        guard before.state != .cancelled else {
            return .failure(
                LedgerRejection(
                    .adjustmentRefused, "\(ref) was cancelled; there is nothing left to refund"))
        }
        let lines: [OrderLine]
        switch Adjustment.lines(after: command.change, of: before.order) {
        case .failure(let rejection):
            return .failure(LedgerRejection(rejection.code, "\(ref): \(rejection.message)"))
        case .success(let left):
            lines = left
        }
        guard lines != before.order.lines else {
            // Nothing refunded (a new amount equal to what is left): nothing moves, and
            // nothing is written but the key, so that the history stays meaningful.
            return .success(
                AdjustOutcome(
                    state: before.state, eligibleMinorUnits: before.eligibleMinorUnits,
                    cashbackMinorUnits: before.cashbackMinorUnits, clawedBackMinorUnits: 0,
                    debtMinorUnits: 0))
        }
        let adjustments = try AccrualEventsTable.count(db, accrualID: before.accrualID, kind: .adjust)
        guard adjustments < LedgerLimits.adjustmentsPerAccrualMax else {
            return .failure(
                LedgerRejection(
                    .adjustmentRefused,
                    "\(ref) has had \(adjustments) adjustments, the most one accrual takes; "
                        + "a full refund of what is left is one adjustment"))
        }
        guard
            let published = try RuleSetsTable.fetch(
                db, merchantID: before.merchantID, version: before.ruleVersion)
        else {
            throw LedgerStoreError(
                .corruptRow,
                "accrual \(before.accrualID) locks rule version \(before.ruleVersion), which is missing")
        }
        var after = before
        after.order = before.order.replacingLines(lines)
        after.explanation = Adjustment.reprice(
            after.order, rules: published.rules, version: before.ruleVersion,
            commissionBasisPoints: before.explanation.commissionBasisPoints,
            currentCashbackMinorUnits: before.cashbackMinorUnits,
            currentCommissionMinorUnits: before.commissionMinorUnits)

        let balance =
            try BalancesTable.fetch(db, memberID: before.memberID, currency: before.currency)
            ?? Balance.zero(memberID: before.memberID, currency: before.currency)
        let lots =
            before.state == .confirmed
            ? try LotsTable.ofAccrual(db, accrualID: before.accrualID) : LotsTable.AccrualLots()
        let posting = LedgerPosting.adjustment(
            from: before, to: after, availableMinorUnits: balance.availableMinorUnits, lots: lots)
        try AccrualsTable.updatePricing(db, after, nowMilliseconds: nowMilliseconds)
        try posting.book(
            db, for: before, note: command.reason.isEmpty ? "refund" : command.reason,
            nowMilliseconds: nowMilliseconds)
        // What leaves available leaves the lots too: the accrual's own lot first.
        _ = try LotsTable.draw(
            db, memberID: before.memberID, currency: before.currency,
            amountMinorUnits: -posting.delta.availableMinorUnits,
            preferredAccrualID: before.accrualID)
        // What the clawback takes back of the accrual's expired cashback leaves its lots' record
        // of what expired.
        try LotsTable.takeBackExpired(
            db, accrualID: before.accrualID, amountMinorUnits: -posting.delta.expiredMinorUnits)
        let clawedBack = before.cashbackMinorUnits - after.cashbackMinorUnits
        let debt = posting.delta.debtMinorUnits
        try AccrualEventsTable.append(
            db, accrualID: before.accrualID,
            AccrualChange(
                kind: .adjust, atMilliseconds: nowMilliseconds, state: before.state,
                eligibleMinorUnits: after.eligibleMinorUnits,
                cashbackMinorUnits: after.cashbackMinorUnits,
                cashbackDeltaMinorUnits: -clawedBack, debtMinorUnits: debt,
                idempotencyKey: command.idempotencyKey.rawValue, reason: command.reason))
        return .success(
            AdjustOutcome(
                state: before.state, eligibleMinorUnits: after.eligibleMinorUnits,
                cashbackMinorUnits: after.cashbackMinorUnits, clawedBackMinorUnits: clawedBack,
                debtMinorUnits: debt))
    }

    /// The accrual of `ref` as it is now, with its history, from a reader snapshot.
    ///
    /// See `LedgerRepository.accrual(_:)`.
    public func accrual(
        _ ref: OrderReference
    ) async throws -> Result<AccrualDetails, LedgerRejection> {
        try await self.pool.read { db in
            guard let record = try AccrualsTable.fetch(db, ref)?.record else {
                return .failure(LedgerRejection(.accrualNotFound, "no accrual for \(ref)"))
            }
            let history = try AccrualEventsTable.fetchAll(db, accrualID: record.accrualID)
            return .success(AccrualDetails(record: record, history: history))
        }
    }
}
