import CashbackCore
import CashbackRepository
import GRDB

extension SQLiteLedgerRepository {
    /// Files a claim for an order that was never credited. See `LedgerRepository.fileClaim(_:)`.
    public func fileClaim(_ filing: ClaimFiling) async throws -> Result<ClaimRecord, LedgerRejection>
    {
        let now = self.clock()
        return try await self.writer.perform { db in
            try Idempotent.run(
                db, method: "Wallet/FileClaim", key: filing.idempotencyKey, request: filing,
                nowMilliseconds: now
            ) { () throws -> Result<ClaimRecord, LedgerRejection> in
                guard try MerchantsTable.fetch(db, merchantID: filing.merchantID) != nil else {
                    return .failure(Self.merchantNotFound(filing.merchantID))
                }
                let ref = try OrderReference(merchantID: filing.merchantID, orderID: filing.orderID)
                if let accrual = try AccrualsTable.fetch(db, ref) {
                    return .failure(
                        LedgerRejection(
                            .duplicateClaim,
                            "\(ref) is already credited (accrual \(accrual.record.accrualID)); "
                                + "GetAccrual shows it"))
                }
                if let claim = try ClaimsTable.live(
                    db, merchantID: filing.merchantID, orderID: filing.orderID)
                {
                    return .failure(
                        LedgerRejection(.duplicateClaim, "\(ref) is already claimed (claim \(claim))"))
                }
                return .success(try ClaimsTable.insert(db, filing, nowMilliseconds: now))
            }
        }
    }

    /// Approves or rejects a claim. See `LedgerRepository.decideClaim(_:)`.
    public func decideClaim(
        _ decision: ClaimDecision
    ) async throws -> Result<ClaimRecord, LedgerRejection> {
        let now = self.clock()
        let catalog = self.writer.catalog
        return try await self.writer.perform { db in
            try Idempotent.run(
                db, method: decision.approve ? "Admin/ApproveClaim" : "Admin/RejectClaim",
                key: decision.idempotencyKey, request: decision, nowMilliseconds: now
            ) {
                try Self.decide(decision, in: db, nowMilliseconds: now, catalog: catalog)
            }
        }
    }

    private static func decide(
        _ decision: ClaimDecision,
        in db: Database,
        nowMilliseconds now: Int64,
        catalog: WriterCatalog
    ) throws -> Result<ClaimRecord, LedgerRejection> {
        guard var claim = try ClaimsTable.fetch(db, id: decision.claimID) else {
            return .failure(LedgerRejection(.claimNotFound, "no claim \(decision.claimID)"))
        }
        let target: ClaimState = decision.approve ? .approved : .rejected
        switch claim.state {
        case target:
            return .success(claim)  // decided this way already: answer it as it is
        case .approved, .rejected:
            return .failure(
                LedgerRejection(
                    .claimDecided,
                    "claim \(claim.claimID) was already \(claim.state); it is decided once"))
        case .pending:
            break
        }
        var accrualID: Int64?
        if decision.approve {
            // Booked as the order would have been: priced by the merchant's rules now, and
            // pending until confirmed like any other accrual. Velocity limits do not apply:
            // an admin decided it.
            let command = try AccrueCommand(
                merchantID: claim.merchantID, orderID: claim.orderID, memberID: claim.memberID,
                eligibleMinorUnits: claim.amountMinorUnits, currency: claim.currency.rawValue,
                orderedAtMilliseconds: claim.orderedAtMilliseconds)
            let note = "claim \(claim.claimID) approved by \(decision.actor): \(decision.reason)"
            switch try Self.accrue(
                command, in: db, nowMilliseconds: now, velocity: nil, note: note,
                catalog: catalog)
            {
            case .failure(let rejection):
                return .failure(
                    LedgerRejection(
                        rejection.code, "claim \(claim.claimID) cannot be approved: "
                            + rejection.message))
            case .success(let outcome):
                guard !outcome.replayed else {
                    return .failure(
                        LedgerRejection(
                            .duplicateClaim,
                            "claim \(claim.claimID): \(command.orderReference) was credited "
                                + "meanwhile (accrual \(outcome.record.accrualID)); reject the claim"))
                }
                accrualID = outcome.record.accrualID
                try AccrualsTable.linkClaim(db, accrualID: outcome.record.accrualID, claimID: claim.claimID)
            }
        }
        try ClaimsTable.decide(
            db, id: claim.claimID, to: target, accrualID: accrualID, actor: decision.actor,
            reason: decision.reason, nowMilliseconds: now)
        try MembersTable.recordAction(
            db, decision.approve ? "approve-claim" : "reject-claim", memberID: claim.memberID,
            subjectID: claim.claimID, actor: decision.actor, reason: decision.reason,
            nowMilliseconds: now)
        claim.state = target
        claim.accrualID = accrualID ?? 0
        claim.decidedBy = decision.actor
        claim.decisionReason = decision.reason
        claim.decidedAtMilliseconds = now
        return .success(claim)
    }

    /// A page of claims, from a reader snapshot. See `LedgerRepository.claims(state:afterID:limit:)`.
    public func claims(state: ClaimState?, afterID: Int64, limit: Int) async throws -> [ClaimRecord]
    {
        precondition(limit > 0 && limit <= LedgerLimits.claimsPageMax)
        return try await self.pool.read { db in
            try ClaimsTable.page(db, state: state, afterID: afterID, limit: limit)
        }
    }

    /// Credits or debits a member's available balance by hand.
    /// See `LedgerRepository.adjustBalance(_:)`.
    public func adjustBalance(
        _ adjustment: BalanceAdjustment
    ) async throws -> Result<BalanceAdjustmentOutcome, LedgerRejection> {
        let now = self.clock()
        return try await self.writer.perform { db in
            try Idempotent.run(
                db, method: "Admin/AdjustBalance", key: adjustment.idempotencyKey,
                request: adjustment, nowMilliseconds: now
            ) { () throws -> Result<BalanceAdjustmentOutcome, LedgerRejection> in
                let member = adjustment.memberID
                let currency = adjustment.currency
                let amount = adjustment.amountMinorUnits
                let available = try Self.available(db, memberID: member, currency: currency)
                if amount > 0 {
                    // A manual credit is a lot of its own that never expires.
                    try LotsTable.insert(
                        db, memberID: member, currency: currency, accrualID: nil,
                        amountMinorUnits: amount, expiresAtMilliseconds: nil,
                        nowMilliseconds: now)
                } else {
                    guard -amount <= available else {
                        return .failure(
                            LedgerRejection(
                                .insufficientFunds,
                                "member '\(member)' has \(available) \(currency) available, "
                                    + "a debit of \(-amount) would overdraw it"))
                    }
                    _ = try LotsTable.draw(
                        db, memberID: member, currency: currency, amountMinorUnits: -amount)
                }
                try LedgerPosting.wallet(
                    amount > 0 ? .manualCredit : .manualDebit, memberID: member,
                    amountMinorUnits: abs(amount)
                ).book(
                    db, memberID: member, currency: currency, accrualID: nil, sourceID: nil,
                    note: "\(adjustment.actor): \(adjustment.reason)", nowMilliseconds: now)
                try MembersTable.recordAction(
                    db, amount > 0 ? "manual-credit" : "manual-debit", memberID: member,
                    subjectID: nil, actor: adjustment.actor, reason: adjustment.reason,
                    nowMilliseconds: now)
                return .success(BalanceAdjustmentOutcome(availableMinorUnits: available + amount))
            }
        }
    }
}

extension ClaimRecord: Replayable {}
extension BalanceAdjustmentOutcome: Replayable {}
