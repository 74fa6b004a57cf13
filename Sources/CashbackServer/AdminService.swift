import CashbackAPI
import CashbackCore
import CashbackRepository
import Logging
import RPC

/// `cashback.v1.Admin`: merchants, rule sets, verification of the books.
struct AdminService: CashbackV1.Admin.ServiceProtocol {
    let ledger: any LedgerRepository
    let logger: Logger

    /// The most breaches one Verify answer lists; `breachCount` tells them all.
    static let verifyBreachesMax = 1000

    func upsertMerchant(_ request: CashbackV1.UpsertMerchantRequest, context: RPCServerContext)
        async throws -> CashbackV1.UpsertMerchantResponse
    {
        let upsert = try LedgerStatus.validated { () throws(LedgerRejection) in
            try MerchantUpsert(
                merchantID: request.merchantID, name: request.name, currency: request.currency,
                shopperRateBasisPoints: Int64(request.shopperRateBps),
                commissionBasisPoints: Int64(request.commissionBps),
                holdDays: Int64(request.holdDays),
                cashbackExpiryDays: Int64(request.cashbackExpiryDays),
                status: try Self.status(request.status),
                idempotencyKey: request.idempotencyKey)
        }
        let result = try await LedgerStatus.storing(logger, "UpsertMerchant") {
            try await ledger.upsertMerchant(upsert, actor: try context.actor())
        }
        let outcome = try LedgerStatus.value(result)
        return CashbackV1.UpsertMerchantResponse(
            merchantID: outcome.merchant.merchantID, created: outcome.created)
    }

    func publishRuleSet(_ request: CashbackV1.PublishRuleSetRequest, context: RPCServerContext)
        async throws -> CashbackV1.PublishRuleSetResponse
    {
        let publication = try LedgerStatus.validated { () throws(LedgerRejection) in
            // Fields in schema order: the merchant first, then its rules, then the key.
            try Identifier.validate(request.merchantID, field: "merchantId")
            guard let rules = request.rules else {
                throw LedgerRejection(
                    .invalidArgument, "rules is missing; send at least {\"baseRateBps\": 0}")
            }
            return try RuleSetPublication(
                merchantID: request.merchantID, rules: try RuleSetMapping.domain(rules),
                idempotencyKey: request.idempotencyKey)
        }
        let result = try await LedgerStatus.storing(logger, "PublishRuleSet") {
            try await ledger.publishRuleSet(publication, actor: try context.actor())
        }
        let published = try LedgerStatus.value(result)
        return CashbackV1.PublishRuleSetResponse(
            merchantID: published.merchantID, version: published.version,
            publishedAtMs: published.publishedAtMilliseconds)
    }

    func getRuleSet(_ request: CashbackV1.GetRuleSetRequest, context: RPCServerContext)
        async throws -> CashbackV1.GetRuleSetResponse
    {
        let merchantID = try LedgerStatus.validated { () throws(LedgerRejection) in
            try Identifier.validate(request.merchantID, field: "merchantId")
            guard LedgerLimits.ruleVersion.contains(request.version) else {
                throw LedgerRejection(
                    .invalidArgument,
                    "version must be 0 (the latest) or a published version, got \(request.version)")
            }
            return request.merchantID
        }
        let result = try await LedgerStatus.storing(logger, "GetRuleSet") {
            try await ledger.ruleSet(merchantID: merchantID, version: request.version)
        }
        let published = try LedgerStatus.value(result)
        return CashbackV1.GetRuleSetResponse(
            merchantID: published.merchantID, version: published.version,
            publishedAtMs: published.publishedAtMilliseconds,
            rules: RuleSetMapping.wire(published.rules))
    }

    func verify(_ request: CashbackV1.VerifyRequest, context: RPCServerContext) async throws
        -> CashbackV1.VerifyResponse
    {
        let report = try await LedgerStatus.storing(logger, "Verify") {
            try await ledger.verifyBooks()
        }
        if !report.isBalanced {
            logger.error(
                "the books have breaches",
                metadata: ["count": "\(report.discrepancies.count)",
                           "first": "\(report.discrepancies[0])"])
        }
        return CashbackV1.VerifyResponse(
            ok: report.isBalanced,
            breaches: report.discrepancies.prefix(Self.verifyBreachesMax).map {
                CashbackV1.VerifyBreach(kind: $0.kind, message: $0.description)
            },
            breachCount: Int64(report.discrepancies.count),
            journalEntries: Int64(report.journalEntryCount),
            accruals: Int64(report.accrualCount),
            memberAccounts: Int64(report.memberAccountCount))
    }

    func freezeMember(_ request: CashbackV1.FreezeMemberRequest, context: RPCServerContext)
        async throws -> CashbackV1.FreezeMemberResponse
    {
        try await setFrozen(request, frozen: true, "FreezeMember", context)
    }

    func unfreezeMember(_ request: CashbackV1.FreezeMemberRequest, context: RPCServerContext)
        async throws -> CashbackV1.FreezeMemberResponse
    {
        try await setFrozen(request, frozen: false, "UnfreezeMember", context)
    }

    private func setFrozen(
        _ request: CashbackV1.FreezeMemberRequest, frozen: Bool, _ name: String,
        _ context: RPCServerContext
    ) async throws -> CashbackV1.FreezeMemberResponse {
        let actor = try context.actor(person: request.actor)
        let command = try LedgerStatus.validated { () throws(LedgerRejection) in
            try MemberFreezeCommand(
                memberID: request.memberID, frozen: frozen, actor: actor,
                reason: request.reason, idempotencyKey: request.idempotencyKey)
        }
        let result = try await LedgerStatus.storing(logger, name) {
            try await ledger.setFrozen(command)
        }
        let outcome = try LedgerStatus.value(result)
        // Logged once, when it happened: a replay changed nothing.
        if !outcome.replayed {
            logger.notice(
                "member \(frozen ? "frozen" : "unfrozen")",
                metadata: ["member": "\(command.memberID)", "actor": "\(command.actor)"])
        }
        return CashbackV1.FreezeMemberResponse(memberID: outcome.memberID, frozen: outcome.frozen)
    }

    func runExpiry(_ request: CashbackV1.RunExpiryRequest, context: RPCServerContext)
        async throws -> CashbackV1.RunExpiryResponse
    {
        let command = try LedgerStatus.validated { () throws(LedgerRejection) in
            try ExpiryRunCommand(
                asOfMilliseconds: request.asOfMs, idempotencyKey: request.idempotencyKey)
        }
        let result = try await LedgerStatus.storing(logger, "RunExpiry") {
            try await ledger.runExpiry(command, actor: try context.actor())
        }
        let outcome = try LedgerStatus.value(result)
        return CashbackV1.RunExpiryResponse(
            expiredLots: Int64(outcome.expiredLotCount),
            memberAccounts: Int64(outcome.memberAccountCount), more: outcome.more)
    }

    func listClaims(_ request: CashbackV1.ListClaimsRequest, context: RPCServerContext)
        async throws -> CashbackV1.ListClaimsResponse
    {
        let (state, paging) = try LedgerStatus.validated {
            () throws(LedgerRejection) -> (ClaimState?, Paging) in
            let state: ClaimState?
            switch request.state {
            case .any: state = nil
            case .pending: state = .pending
            case .approved: state = .approved
            case .rejected: state = .rejected
            case .unrecognized(let number):
                throw LedgerRejection(.invalidArgument, "state \(number) is unknown")
            }
            return (
                state,
                try Paging(
                    size: request.pageSize, token: request.pageToken,
                    max: LedgerLimits.claimsPageMax)
            )
        }
        let page = try await LedgerStatus.storing(logger, "ListClaims") {
            try await ledger.claims(state: state, afterID: paging.afterID, limit: paging.limit)
        }
        return CashbackV1.ListClaimsResponse(
            claims: page.map(Self.wire),
            nextPageToken: paging.nextToken(count: page.count, lastID: page.last?.claimID))
    }

    func approveClaim(_ request: CashbackV1.DecideClaimRequest, context: RPCServerContext)
        async throws -> CashbackV1.ClaimSummary
    {
        try await decide(request, approve: true, "ApproveClaim", context)
    }

    func rejectClaim(_ request: CashbackV1.DecideClaimRequest, context: RPCServerContext)
        async throws -> CashbackV1.ClaimSummary
    {
        try await decide(request, approve: false, "RejectClaim", context)
    }

    private func decide(
        _ request: CashbackV1.DecideClaimRequest, approve: Bool, _ name: String,
        _ context: RPCServerContext
    ) async throws -> CashbackV1.ClaimSummary {
        let actor = try context.actor(person: request.actor)
        let decision = try LedgerStatus.validated { () throws(LedgerRejection) in
            try ClaimDecision(
                claimID: request.claimID, approve: approve, actor: actor,
                reason: request.reason, idempotencyKey: request.idempotencyKey)
        }
        let result = try await LedgerStatus.storing(logger, name) {
            try await ledger.decideClaim(decision)
        }
        let claim = try LedgerStatus.value(result)
        if !claim.replayed {
            logger.notice(
                "claim \(approve ? "approved" : "rejected")",
                metadata: ["claim": "\(claim.claimID)", "actor": "\(decision.actor)"])
        }
        return Self.wire(claim)
    }

    func adjustBalance(_ request: CashbackV1.AdjustBalanceRequest, context: RPCServerContext)
        async throws -> CashbackV1.AdjustBalanceResponse
    {
        let actor = try context.actor(person: request.actor)
        let adjustment = try LedgerStatus.validated { () throws(LedgerRejection) in
            try BalanceAdjustment(
                memberID: request.memberID, currency: request.currency,
                amountMinorUnits: request.amountMinor, actor: actor,
                reason: request.reason, idempotencyKey: request.idempotencyKey)
        }
        let result = try await LedgerStatus.storing(logger, "AdjustBalance") {
            try await ledger.adjustBalance(adjustment)
        }
        let outcome = try LedgerStatus.value(result)
        if !outcome.replayed {
            logger.notice(
                "manual balance adjustment",
                metadata: [
                    "member": "\(adjustment.memberID)", "actor": "\(adjustment.actor)",
                    "amountMinor": "\(adjustment.amountMinorUnits)",
                ])
        }
        return CashbackV1.AdjustBalanceResponse(availableMinor: outcome.availableMinorUnits)
    }

    /// The most merchants one GetStats answer lists.
    static let statsMerchantsMax = 1000

    func getStats(_ request: CashbackV1.GetStatsRequest, context: RPCServerContext) async throws
        -> CashbackV1.GetStatsResponse
    {
        let currency = try LedgerStatus.validated { () throws(LedgerRejection) in
            let currency = try CurrencyCode(validating: request.currency)
            let range = LedgerLimits.campaignMilliseconds
            guard range.contains(request.fromMs), range.contains(request.toMs),
                request.fromMs < request.toMs
            else {
                throw LedgerRejection(
                    .invalidArgument,
                    "fromMs and toMs must be \(range.lowerBound)...\(range.upperBound) "
                        + "milliseconds since the Unix epoch, fromMs before toMs; got "
                        + "[\(request.fromMs), \(request.toMs))")
            }
            return currency
        }
        let stats = try await LedgerStatus.storing(logger, "GetStats") {
            try await ledger.stats(
                currency: currency, fromMilliseconds: request.fromMs, toMilliseconds: request.toMs)
        }
        return CashbackV1.GetStatsResponse(
            total: Self.wire(stats.total),
            merchants: stats.merchants.prefix(Self.statsMerchantsMax).map {
                CashbackV1.MerchantStats(merchantID: $0.merchantID, figures: Self.wire($0.figures))
            },
            merchantsTruncated: stats.merchants.count > Self.statsMerchantsMax)
    }

    static func wire(_ figures: StatsFigures) -> CashbackV1.StatsFigures {
        CashbackV1.StatsFigures(
            members: figures.members, accruedMinor: figures.accruedMinorUnits,
            confirmedMinor: figures.confirmedMinorUnits,
            cancelledMinor: figures.cancelledMinorUnits, spentMinor: figures.spentMinorUnits,
            withdrawnMinor: figures.withdrawnMinorUnits, expiredMinor: figures.expiredMinorUnits,
            commissionMinor: figures.commissionMinorUnits, marginMinor: figures.marginMinorUnits)
    }

    static func wire(_ claim: ClaimRecord) -> CashbackV1.ClaimSummary {
        CashbackV1.ClaimSummary(
            claimID: claim.claimID, memberID: claim.memberID, merchantID: claim.merchantID,
            orderID: claim.orderID, currency: claim.currency.rawValue,
            amountMinor: claim.amountMinorUnits, orderedAtMs: claim.orderedAtMilliseconds,
            details: claim.details,
            state: CashbackV1.ClaimFilter(rawValue: UInt32(claim.state.rawValue)),
            accrualID: claim.accrualID, decidedBy: claim.decidedBy,
            decisionReason: claim.decisionReason, createdAtMs: claim.createdAtMilliseconds,
            decidedAtMs: claim.decidedAtMilliseconds)
    }

    private static func status(_ status: CashbackV1.MerchantStatus) throws(LedgerRejection)
        -> MerchantStatus
    {
        switch status {
        case .unspecified, .active: return .active
        case .paused: return .paused
        case .unrecognized(let number):
            throw LedgerRejection(
                .invalidArgument, "status \(number) is unknown; send ACTIVE or PAUSED")
        }
    }
}
