import CashbackAPI
import CashbackCore
import CashbackRepository
import Logging
import RPC

/// `cashback.v1.Wallet`: balance, spending, withdrawals.
struct WalletService: CashbackV1.Wallet.ServiceProtocol {
    let ledger: any LedgerRepository
    let logger: Logger

    func getBalance(_ request: CashbackV1.GetBalanceRequest, context: RPCServerContext)
        async throws -> CashbackV1.GetBalanceResponse
    {
        let query = try LedgerStatus.validated { () throws(LedgerRejection) in
            try BalanceQuery(memberID: request.memberID, currency: request.currency)
        }
        let balance = try await LedgerStatus.storing(logger, "GetBalance") {
            try await ledger.balance(memberID: query.memberID, currency: query.currency)
        }
        return CashbackV1.GetBalanceResponse(
            pendingMinor: balance.pendingMinorUnits,
            availableMinor: balance.availableMinorUnits,
            lifetimeMinor: balance.lifetimeMinorUnits,
            debtMinor: balance.debtMinorUnits,
            reservedMinor: balance.reservedMinorUnits,
            spentMinor: balance.spentMinorUnits,
            withdrawnMinor: balance.withdrawnMinorUnits,
            expiredMinor: balance.expiredMinorUnits,
            nextExpiryMinor: balance.nextExpiryMinorUnits,
            nextExpiryAtMs: balance.nextExpiryAtMilliseconds)
    }

    func redeem(_ request: CashbackV1.RedeemRequest, context: RPCServerContext) async throws
        -> CashbackV1.RedeemResponse
    {
        let command = try LedgerStatus.validated { () throws(LedgerRejection) in
            try RedeemCommand(
                memberID: request.memberID, currency: request.currency,
                amountMinorUnits: request.amountMinor, purchaseReference: request.purchaseRef,
                idempotencyKey: request.idempotencyKey)
        }
        let result = try await LedgerStatus.storing(logger, "Redeem") {
            try await ledger.redeem(command)
        }
        return Self.wire(try LedgerStatus.value(result))
    }

    func refundRedemption(
        _ request: CashbackV1.RefundRedemptionRequest, context: RPCServerContext
    ) async throws -> CashbackV1.RedeemResponse {
        let command = try LedgerStatus.validated { () throws(LedgerRejection) in
            try RedemptionRefundCommand(
                redemptionID: request.redemptionID, amountMinorUnits: request.amountMinor,
                reason: request.reason, idempotencyKey: request.idempotencyKey)
        }
        let result = try await LedgerStatus.storing(logger, "RefundRedemption") {
            try await ledger.refundRedemption(command)
        }
        return Self.wire(try LedgerStatus.value(result))
    }

    func withdraw(_ request: CashbackV1.WithdrawRequest, context: RPCServerContext) async throws
        -> CashbackV1.WithdrawResponse
    {
        let command = try LedgerStatus.validated { () throws(LedgerRejection) in
            try Identifier.validate(request.memberID, field: "memberId")
            return try WithdrawCommand(
                memberID: request.memberID, currency: request.currency,
                amountMinorUnits: request.amountMinor,
                destination: try PayoutMapping.destination(request.destination),
                idempotencyKey: request.idempotencyKey)
        }
        let result = try await LedgerStatus.storing(logger, "Withdraw") {
            try await ledger.withdraw(command)
        }
        let withdrawal = PayoutMapping.wire(try LedgerStatus.value(result))
        return CashbackV1.WithdrawResponse(
            withdrawalID: withdrawal.withdrawalID, state: withdrawal.state, withdrawal: withdrawal)
    }

    func listHistory(_ request: CashbackV1.ListHistoryRequest, context: RPCServerContext)
        async throws -> CashbackV1.ListHistoryResponse
    {
        let (query, limit, before) = try LedgerStatus.validated {
            () throws(LedgerRejection) -> (BalanceQuery, Int, HistoryCursor?) in
            let query = try BalanceQuery(memberID: request.memberID, currency: request.currency)
            let limit = try Paging.limit(request.pageSize, max: LedgerLimits.historyPageMax)
            let before = HistoryCursor(request.pageToken)
            guard request.pageToken.isEmpty || before != nil else { throw Paging.badToken }
            return (query, limit, before)
        }
        let entries = try await LedgerStatus.storing(logger, "ListHistory") {
            try await ledger.history(
                memberID: query.memberID, currency: query.currency, before: before, limit: limit)
        }
        return CashbackV1.ListHistoryResponse(
            entries: entries.map {
                CashbackV1.HistoryEntry(
                    kind: $0.kind, atMs: $0.atMilliseconds,
                    pendingDeltaMinor: $0.pendingDeltaMinorUnits,
                    availableDeltaMinor: $0.availableDeltaMinorUnits,
                    reservedDeltaMinor: $0.reservedDeltaMinorUnits,
                    debtDeltaMinor: $0.debtDeltaMinorUnits, accrualID: $0.accrualID,
                    merchantID: $0.merchantID, orderID: $0.orderID, claimID: $0.claimID,
                    redemptionID: $0.redemptionID, withdrawalID: $0.withdrawalID,
                    explanation: $0.explanation, expiredDeltaMinor: $0.expiredDeltaMinorUnits)
            },
            nextPageToken: entries.count == limit ? entries.last?.cursor ?? "" : "")
    }

    func fileClaim(_ request: CashbackV1.FileClaimRequest, context: RPCServerContext)
        async throws -> CashbackV1.Claim
    {
        let filing = try LedgerStatus.validated { () throws(LedgerRejection) in
            try ClaimFiling(
                memberID: request.memberID, merchantID: request.merchantID,
                orderID: request.orderID, amountMinorUnits: request.amountMinor,
                currency: request.currency, orderedAtMilliseconds: request.orderedAtMs,
                details: request.details, idempotencyKey: request.idempotencyKey)
        }
        let result = try await LedgerStatus.storing(logger, "FileClaim") {
            try await ledger.fileClaim(filing)
        }
        let claim = try LedgerStatus.value(result)
        return CashbackV1.Claim(
            claimID: claim.claimID, memberID: claim.memberID, merchantID: claim.merchantID,
            orderID: claim.orderID, currency: claim.currency.rawValue,
            amountMinor: claim.amountMinorUnits, orderedAtMs: claim.orderedAtMilliseconds,
            details: claim.details, state: CashbackV1.ClaimState(rawValue: UInt32(claim.state.rawValue)),
            accrualID: claim.accrualID, decidedBy: claim.decidedBy,
            decisionReason: claim.decisionReason, createdAtMs: claim.createdAtMilliseconds,
            decidedAtMs: claim.decidedAtMilliseconds)
    }

    static func wire(_ outcome: RedemptionOutcome) -> CashbackV1.RedeemResponse {
        CashbackV1.RedeemResponse(
            redemptionID: outcome.redemptionID, amountMinor: outcome.amountMinorUnits,
            refundedMinor: outcome.refundedMinorUnits, availableMinor: outcome.availableMinorUnits)
    }
}

/// `cashback.v1.Payouts`: the payout worker's side of withdrawals.
struct PayoutsService: CashbackV1.Payouts.ServiceProtocol {
    let ledger: any LedgerRepository
    let logger: Logger

    func listWithdrawals(
        _ request: CashbackV1.ListWithdrawalsRequest, context: RPCServerContext
    ) async throws -> CashbackV1.ListWithdrawalsResponse {
        let (state, paging) = try LedgerStatus.validated {
            () throws(LedgerRejection) -> (WithdrawalState?, Paging) in
            (
                try PayoutMapping.state(request.state),
                try Paging(
                    size: request.pageSize, token: request.pageToken,
                    max: LedgerLimits.withdrawalsPageMax)
            )
        }
        let page = try await LedgerStatus.storing(logger, "ListWithdrawals") {
            try await ledger.withdrawals(
                state: state, afterID: paging.afterID, limit: paging.limit)
        }
        return CashbackV1.ListWithdrawalsResponse(
            withdrawals: page.map(PayoutMapping.wire),
            nextPageToken: paging.nextToken(count: page.count, lastID: page.last?.withdrawalID))
    }

    func completeWithdrawal(
        _ request: CashbackV1.CompleteWithdrawalRequest, context: RPCServerContext
    ) async throws -> CashbackV1.Withdrawal {
        try await settle("CompleteWithdrawal") { () throws(LedgerRejection) in
            try WithdrawalSettlementCommand(
                withdrawalID: request.withdrawalID, outcome: .completed,
                idempotencyKey: request.idempotencyKey)
        }
    }

    func failWithdrawal(
        _ request: CashbackV1.FailWithdrawalRequest, context: RPCServerContext
    ) async throws -> CashbackV1.Withdrawal {
        try await settle("FailWithdrawal") { () throws(LedgerRejection) in
            try WithdrawalSettlementCommand(
                withdrawalID: request.withdrawalID, outcome: .failed(reason: request.reason),
                idempotencyKey: request.idempotencyKey)
        }
    }

    private func settle(
        _ name: String, _ make: () throws(LedgerRejection) -> WithdrawalSettlementCommand
    ) async throws -> CashbackV1.Withdrawal {
        let command = try LedgerStatus.validated(make)
        let result = try await LedgerStatus.storing(logger, name) {
            try await ledger.settleWithdrawal(command)
        }
        return PayoutMapping.wire(try LedgerStatus.value(result))
    }
}

/// A validated page request: `pageSize` (0 for the default) and `pageToken` (the last id of
/// the previous page, in decimal).
struct Paging {
    /// The page size when the request leaves it out.
    static let defaultSize = 50

    let afterID: Int64
    let limit: Int

    init(size: Int32, token: String, max: Int) throws(LedgerRejection) {
        self.limit = try Self.limit(size, max: max)
        // Canonical decimal only (no sign, no leading zeros): what nextToken writes.
        guard token.isEmpty || Int64(token).map({ $0 > 0 && "\($0)" == token }) == true else {
            throw Self.badToken
        }
        self.afterID = Int64(token) ?? 0
    }

    /// A request's `pageSize`, checked: 0 for the default, else 1...`max`.
    static func limit(_ size: Int32, max: Int) throws(LedgerRejection) -> Int {
        let limit = size == 0 ? Self.defaultSize : Int(size)
        guard (1...max).contains(limit) else {
            throw LedgerRejection(
                .invalidArgument,
                "pageSize must be 1...\(max) (0 for \(Self.defaultSize)), got \(size)")
        }
        return limit
    }

    /// The refusal of a `pageToken` this server did not answer.
    static let badToken = LedgerRejection(
        .invalidArgument, "pageToken must be empty or a nextPageToken this method answered")

    /// The token of the page after `lastID`, or empty when a short page was the last.
    func nextToken(count: Int, lastID: Int64?) -> String {
        count == self.limit ? lastID.map { "\($0)" } ?? "" : ""
    }
}

/// Withdrawals between the wire and the domain. Accounts leave the server masked only.
enum PayoutMapping {
    static func destination(_ wire: CashbackV1.PayoutDestination?) throws(LedgerRejection)
        -> PayoutDestination
    {
        guard let wire else {
            throw LedgerRejection(
                .invalidArgument, "destination is missing; send {kind, account}")
        }
        let kind: PayoutDestination.Kind
        switch wire.kind {
        case .card: kind = .card
        case .ewallet: kind = .ewallet
        case .phone: kind = .phone
        case .unspecified, .unrecognized:
            throw LedgerRejection(
                .invalidArgument, "destination.kind must be CARD, EWALLET or PHONE")
        }
        return try PayoutDestination(kind: kind, account: wire.account)
    }

    static func state(_ wire: CashbackV1.WithdrawalState) throws(LedgerRejection)
        -> WithdrawalState?
    {
        switch wire {
        case .unspecified: return nil
        case .reserved: return .reserved
        case .completed: return .completed
        case .failed: return .failed
        case .unrecognized(let number):
            throw LedgerRejection(.invalidArgument, "state \(number) is unknown")
        }
    }

    static func wire(_ record: WithdrawalRecord) -> CashbackV1.Withdrawal {
        let kind: CashbackV1.DestinationKind =
            switch record.destinationKind {
            case .card: .card
            case .ewallet: .ewallet
            case .phone: .phone
            }
        let state: CashbackV1.WithdrawalState =
            switch record.state {
            case .reserved: .reserved
            case .completed: .completed
            case .failed: .failed
            }
        return CashbackV1.Withdrawal(
            withdrawalID: record.withdrawalID, memberID: record.memberID,
            currency: record.currency.rawValue, amountMinor: record.amountMinorUnits,
            destination: .init(kind: kind, account: record.maskedAccount), state: state,
            failureReason: record.failureReason, createdAtMs: record.createdAtMilliseconds,
            settledAtMs: record.settledAtMilliseconds)
    }
}
