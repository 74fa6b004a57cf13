import CashbackCore
import CashbackRepository
import GRDB

extension SQLiteLedgerRepository {
    /// Spends available cashback. See `LedgerRepository.redeem(_:)`.
    public func redeem(
        _ command: RedeemCommand
    ) async throws -> Result<RedemptionOutcome, LedgerRejection> {
        let now = self.clock()
        return try await self.writer.perform { db in
            try Idempotent.run(
                db, method: "Wallet/Redeem", key: command.idempotencyKey, request: command,
                nowMilliseconds: now
            ) { () throws -> Result<RedemptionOutcome, LedgerRejection> in
                guard try !MembersTable.isFrozen(db, memberID: command.memberID) else {
                    return .failure(Self.frozen(command.memberID))
                }
                let available = try Self.available(
                    db, memberID: command.memberID, currency: command.currency)
                guard command.amountMinorUnits <= available else {
                    return .failure(Self.insufficient(command.memberID, command.currency, available,
                                                      command.amountMinorUnits))
                }
                let id = try RedemptionsTable.insert(db, command, nowMilliseconds: now)
                let draws = try LotsTable.draw(
                    db, memberID: command.memberID, currency: command.currency,
                    amountMinorUnits: command.amountMinorUnits)
                try LotsTable.recordDraws(db, .redemption, id: id, draws)
                try LedgerPosting.wallet(
                    .redeem, memberID: command.memberID, amountMinorUnits: command.amountMinorUnits
                ).book(
                    db, memberID: command.memberID, currency: command.currency, accrualID: nil,
                    sourceID: id, note: command.purchaseReference, nowMilliseconds: now)
                return .success(
                    RedemptionOutcome(
                        redemptionID: id, memberID: command.memberID, currency: command.currency,
                        amountMinorUnits: command.amountMinorUnits, refundedMinorUnits: 0,
                        availableMinorUnits: available - command.amountMinorUnits))
            }
        }
    }

    /// Refunds (part of) a redemption. See `LedgerRepository.refundRedemption(_:)`.
    public func refundRedemption(
        _ command: RedemptionRefundCommand
    ) async throws -> Result<RedemptionOutcome, LedgerRejection> {
        let now = self.clock()
        return try await self.writer.perform { db in
            try Idempotent.run(
                db, method: "Wallet/RefundRedemption", key: command.idempotencyKey,
                request: command, nowMilliseconds: now
            ) { () throws -> Result<RedemptionOutcome, LedgerRejection> in
                guard let redemption = try RedemptionsTable.fetch(db, id: command.redemptionID)
                else {
                    return .failure(
                        LedgerRejection(
                            .redemptionNotFound, "no redemption \(command.redemptionID)"))
                }
                let left = redemption.amountMinorUnits - redemption.refundedMinorUnits
                guard command.amountMinorUnits <= left else {
                    return .failure(
                        LedgerRejection(
                            .refundExceedsRedemption,
                            "redemption \(command.redemptionID) has \(left) left to refund, "
                                + "not \(command.amountMinorUnits)"))
                }
                try RedemptionsTable.addRefund(
                    db, id: command.redemptionID, amountMinorUnits: command.amountMinorUnits)
                try LotsTable.returnDraws(
                    db, .redemption, id: command.redemptionID,
                    amountMinorUnits: command.amountMinorUnits)
                try LedgerPosting.wallet(
                    .refundRedemption, memberID: redemption.memberID,
                    amountMinorUnits: command.amountMinorUnits
                ).book(
                    db, memberID: redemption.memberID, currency: redemption.currency,
                    accrualID: nil, sourceID: command.redemptionID, note: command.reason,
                    nowMilliseconds: now)
                let balance = try BalancesTable.fetch(
                    db, memberID: redemption.memberID, currency: redemption.currency)
                return .success(
                    RedemptionOutcome(
                        redemptionID: command.redemptionID, memberID: redemption.memberID,
                        currency: redemption.currency,
                        amountMinorUnits: redemption.amountMinorUnits,
                        refundedMinorUnits: redemption.refundedMinorUnits
                            + command.amountMinorUnits,
                        availableMinorUnits: balance?.availableMinorUnits ?? 0))
            }
        }
    }

    /// Reserves available cashback for a payout. See `LedgerRepository.withdraw(_:)`.
    public func withdraw(
        _ command: WithdrawCommand
    ) async throws -> Result<WithdrawalRecord, LedgerRejection> {
        let now = self.clock()
        let minimum = self.policy.withdrawalMinimum(command.currency)
        let perDay = self.policy.withdrawalsPerMemberPerDay
        return try await self.writer.perform { db in
            // The key's stored request holds the destination masked: the full account lives in
            // `withdrawals` only. A replay is then checked against that account too.
            let result = try Idempotent.run(
                db, method: "Wallet/Withdraw", key: command.idempotencyKey,
                request: WithdrawFingerprint(command), nowMilliseconds: now
            ) { () throws -> Result<WithdrawalRecord, LedgerRejection> in
                guard try !MembersTable.isFrozen(db, memberID: command.memberID) else {
                    return .failure(Self.frozen(command.memberID))
                }
                let recent = try WithdrawalsTable.count(
                    db, memberID: command.memberID,
                    sinceMilliseconds: now - LedgerLimits.millisecondsPerDay)
                guard recent < perDay else {
                    return .failure(
                        LedgerRejection(
                            .velocityLimit,
                            "member '\(command.memberID)' requested \(recent) withdrawals in the "
                                + "last day, the most allowed; retry later"))
                }
                guard command.amountMinorUnits >= minimum else {
                    return .failure(
                        LedgerRejection(
                            .belowWithdrawalMinimum,
                            "amountMinor \(command.amountMinorUnits) is below the "
                                + "\(command.currency) withdrawal minimum, \(minimum)"))
                }
                let available = try Self.available(
                    db, memberID: command.memberID, currency: command.currency)
                guard command.amountMinorUnits <= available else {
                    return .failure(Self.insufficient(command.memberID, command.currency, available,
                                                      command.amountMinorUnits))
                }
                let record = try WithdrawalsTable.insert(db, command, nowMilliseconds: now)
                let draws = try LotsTable.draw(
                    db, memberID: command.memberID, currency: command.currency,
                    amountMinorUnits: command.amountMinorUnits)
                try LotsTable.recordDraws(db, .withdrawal, id: record.withdrawalID, draws)
                try LedgerPosting.wallet(
                    .withdraw, memberID: command.memberID, amountMinorUnits: command.amountMinorUnits
                ).book(
                    db, memberID: command.memberID, currency: command.currency, accrualID: nil,
                    sourceID: record.withdrawalID, note: "\(command.destination)",
                    nowMilliseconds: now)
                return .success(record)
            }
            if case .success(let first) = result, first.replayed {
                let account = try WithdrawalsTable.account(db, id: first.withdrawalID)
                guard account?.utf8.elementsEqual(command.destination.account.utf8) == true else {
                    return .failure(
                        Idempotent.conflict(key: command.idempotencyKey, method: "Wallet/Withdraw"))
                }
            }
            return result
        }
    }

    /// Completes or fails a withdrawal. See `LedgerRepository.settleWithdrawal(_:)`.
    public func settleWithdrawal(
        _ command: WithdrawalSettlementCommand
    ) async throws -> Result<WithdrawalRecord, LedgerRejection> {
        let now = self.clock()
        let method =
            if case .completed = command.outcome {
                "Payouts/CompleteWithdrawal"
            } else {
                "Payouts/FailWithdrawal"
            }
        return try await self.writer.perform { db in
            try Idempotent.run(
                db, method: method, key: command.idempotencyKey, request: command,
                nowMilliseconds: now
            ) {
                try Self.settle(command, in: db, nowMilliseconds: now)
            }
        }
    }

    private static func settle(
        _ command: WithdrawalSettlementCommand,
        in db: Database,
        nowMilliseconds now: Int64
    ) throws -> Result<WithdrawalRecord, LedgerRejection> {
        guard let record = try WithdrawalsTable.fetch(db, id: command.withdrawalID) else {
            return .failure(
                LedgerRejection(.withdrawalNotFound, "no withdrawal \(command.withdrawalID)"))
        }
        let (target, reason): (WithdrawalState, String) =
            switch command.outcome {
            case .completed: (.completed, "")
            case .failed(let reason): (.failed, reason)
            }
        switch record.state {
        case target:
            return .success(record)  // settled this way already: answer it as it is
        case .completed, .failed:
            return .failure(
                LedgerRejection(
                    .withdrawalSettled,
                    "withdrawal \(record.withdrawalID) was already \(record.state); it is settled "
                        + "once"))
        case .reserved:
            break
        }
        try WithdrawalsTable.settle(
            db, id: record.withdrawalID, to: target, reason: reason, nowMilliseconds: now)
        if target == .failed {
            try LotsTable.returnDraws(
                db, .withdrawal, id: record.withdrawalID, amountMinorUnits: record.amountMinorUnits)
        }
        try LedgerPosting.wallet(
            target == .completed ? .completeWithdrawal : .failWithdrawal,
            memberID: record.memberID, amountMinorUnits: record.amountMinorUnits
        ).book(
            db, memberID: record.memberID, currency: record.currency, accrualID: nil,
            sourceID: record.withdrawalID, note: reason, nowMilliseconds: now)
        var settled = record
        settled.state = target
        settled.failureReason = reason
        settled.settledAtMilliseconds = now
        return .success(settled)
    }

    /// A page of withdrawals, from a reader snapshot.
    /// See `LedgerRepository.withdrawals(state:afterID:limit:)`.
    public func withdrawals(state: WithdrawalState?, afterID: Int64, limit: Int) async throws
        -> [WithdrawalRecord]
    {
        precondition(limit > 0 && limit <= LedgerLimits.withdrawalsPageMax)
        return try await self.pool.read { db in
            try WithdrawalsTable.page(db, state: state, afterID: afterID, limit: limit)
        }
    }

    /// Freezes or unfreezes a member. See `LedgerRepository.setFrozen(_:)`.
    public func setFrozen(
        _ command: MemberFreezeCommand
    ) async throws -> Result<MemberFreezeOutcome, LedgerRejection> {
        let now = self.clock()
        return try await self.writer.perform { db in
            try Idempotent.run(
                db, method: command.frozen ? "Admin/FreezeMember" : "Admin/UnfreezeMember",
                key: command.idempotencyKey, request: command, nowMilliseconds: now
            ) { () throws -> Result<MemberFreezeOutcome, LedgerRejection> in
                try MembersTable.setFrozen(db, command, nowMilliseconds: now)
                return .success(MemberFreezeOutcome(memberID: command.memberID, frozen: command.frozen))
            }
        }
    }

    /// Expires what is left of lots expired by `asOf`. See `LedgerRepository.runExpiry(_:actor:)`.
    public func runExpiry(
        _ command: ExpiryRunCommand, actor: String
    ) async throws -> Result<ExpiryRunOutcome, LedgerRejection> {
        let now = self.clock()
        return try await self.writer.perform { db in
            try Idempotent.run(
                db, method: "Admin/RunExpiry", key: command.idempotencyKey, request: command,
                nowMilliseconds: now
            ) { () throws -> Result<ExpiryRunOutcome, LedgerRejection> in
                let lots = try LotsTable.expired(
                    db, asOfMilliseconds: command.asOfMilliseconds,
                    limit: LedgerLimits.expiryLotsPerRun + 1)
                let taken = lots.prefix(LedgerLimits.expiryLotsPerRun)
                // One entry per member account: the lots come sorted by member and currency.
                var accounts = 0
                var index = taken.startIndex
                while index < taken.endIndex {
                    let first = taken[index]
                    var amount: Int64 = 0
                    while index < taken.endIndex, taken[index].memberID == first.memberID,
                        taken[index].currency == first.currency
                    {
                        try LotsTable.expire(db, lotID: taken[index].lotID)
                        amount += taken[index].amountMinorUnits
                        index += 1
                    }
                    try LedgerPosting.wallet(.expire, memberID: first.memberID, amountMinorUnits: amount)
                        .book(
                            db, memberID: first.memberID, currency: first.currency,
                            accrualID: nil, sourceID: nil,
                            note: "lots expired as of \(command.asOfMilliseconds)",
                            nowMilliseconds: now)
                    accounts += 1
                }
                try MembersTable.recordAction(
                    db, "run-expiry", memberID: nil, subjectID: nil, actor: actor,
                    reason: "lots expired as of \(command.asOfMilliseconds): \(taken.count)",
                    nowMilliseconds: now)
                return .success(
                    ExpiryRunOutcome(
                        expiredLotCount: taken.count, memberAccountCount: accounts,
                        more: lots.count > taken.count))
            }
        }
    }

    /// The member's available balance (0 for a member never credited).
    static func available(_ db: Database, memberID: String, currency: CurrencyCode) throws
        -> Int64
    {
        try BalancesTable.fetch(db, memberID: memberID, currency: currency)?.availableMinorUnits
            ?? 0
    }

    private static func insufficient(
        _ memberID: String, _ currency: CurrencyCode, _ available: Int64, _ amount: Int64
    ) -> LedgerRejection {
        LedgerRejection(
            .insufficientFunds,
            "member '\(memberID)' has \(available) \(currency) available, not \(amount)")
    }

    private static func frozen(_ memberID: String) -> LedgerRejection {
        LedgerRejection(
            .memberFrozen,
            "member '\(memberID)' is frozen: no redeem or withdraw until Admin/UnfreezeMember")
    }
}

/// What a Withdraw's idempotency key keeps of its request: everything but the full account,
/// which is personal data kept in `withdrawals` alone.
private struct WithdrawFingerprint: Encodable {
    let memberID: String
    let currency: CurrencyCode
    let amountMinorUnits: Int64
    let destinationKind: PayoutDestination.Kind
    let maskedAccount: String

    init(_ command: WithdrawCommand) {
        self.memberID = command.memberID
        self.currency = command.currency
        self.amountMinorUnits = command.amountMinorUnits
        self.destinationKind = command.destination.kind
        self.maskedAccount = command.destination.masked
    }
}

extension RedemptionOutcome: Replayable {}
extension WithdrawalRecord: Replayable {}
extension MemberFreezeOutcome: Replayable {}
extension ExpiryRunOutcome: Replayable {}
