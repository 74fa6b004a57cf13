import CashbackAPI
import CashbackCore
import CashbackRepository
import Logging
import RPC

/// `cashback.v1.Accruals`: the order lifecycle.
struct AccrualsService: CashbackV1.Accruals.ServiceProtocol {
    let ledger: any LedgerRepository
    let logger: Logger

    func accrue(_ request: CashbackV1.AccrueRequest, context: RPCServerContext) async throws
        -> CashbackV1.AccrueResponse
    {
        let command = try LedgerStatus.validated { () throws(LedgerRejection) in
            try AccrueCommand(
                merchantID: request.merchantID, orderID: request.orderID,
                memberID: request.memberID, eligibleMinorUnits: request.amountMinor,
                currency: request.currency, orderedAtMilliseconds: request.orderedAtMs,
                lines: RuleSetMapping.lines(request.lines), segments: request.segments,
                ruleVersion: request.ruleVersion)
        }
        let result = try await LedgerStatus.storing(logger, "Accrue") {
            try await ledger.accrue(command)
        }
        let outcome = try LedgerStatus.value(result)
        // The first answer to an accrual is always PENDING with the first cashback, and a
        // replay answers the first answer, whatever happened to the accrual since.
        return CashbackV1.AccrueResponse(
            accrualID: outcome.record.accrualID,
            cashbackMinor: outcome.firstCashbackMinorUnits,
            state: .pending,
            ruleVersion: outcome.record.ruleVersion)
    }

    func confirm(_ request: CashbackV1.OrderRef, context: RPCServerContext) async throws
        -> CashbackV1.AccrualStateResponse
    {
        try await transition(request, "Confirm", ledger.confirm)
    }

    func cancel(_ request: CashbackV1.OrderRef, context: RPCServerContext) async throws
        -> CashbackV1.AccrualStateResponse
    {
        try await transition(request, "Cancel", ledger.cancel)
    }

    func quote(_ request: CashbackV1.QuoteRequest, context: RPCServerContext) async throws
        -> CashbackV1.QuoteResponse
    {
        let command = try LedgerStatus.validated { () throws(LedgerRejection) in
            try QuoteCommand(
                merchantID: request.merchantID, memberID: request.memberID,
                eligibleMinorUnits: request.amountMinor, currency: request.currency,
                orderedAtMilliseconds: request.orderedAtMs,
                lines: RuleSetMapping.lines(request.lines), segments: request.segments,
                ruleVersion: request.ruleVersion)
        }
        let result = try await LedgerStatus.storing(logger, "Quote") {
            try await ledger.quote(command)
        }
        let explanation = try LedgerStatus.value(result)
        return CashbackV1.QuoteResponse(
            cashbackMinor: explanation.cashbackMinorUnits, ruleVersion: explanation.ruleVersion,
            pricing: RuleSetMapping.wire(explanation))
    }

    func getAccrual(_ request: CashbackV1.OrderRef, context: RPCServerContext) async throws
        -> CashbackV1.Accrual
    {
        let reference = try orderReference(request)
        let result = try await LedgerStatus.storing(logger, "GetAccrual") {
            try await ledger.accrual(reference)
        }
        let details = try LedgerStatus.value(result)
        let record = details.record
        return CashbackV1.Accrual(
            accrualID: record.accrualID, merchantID: record.merchantID, orderID: record.orderID,
            memberID: record.memberID, currency: record.currency.rawValue,
            state: Self.wireState(record.state), reportedMinor: record.reportedMinorUnits,
            eligibleMinor: record.eligibleMinorUnits, cashbackMinor: record.cashbackMinorUnits,
            commissionMinor: record.commissionMinorUnits, ruleVersion: record.ruleVersion,
            orderedAtMs: record.orderedAtMilliseconds,
            holdEndsAtMs: record.holdEndsAtMilliseconds, segments: record.order.segments,
            pricing: RuleSetMapping.wire(record.explanation),
            history: details.history.map(Self.wireChange))
    }

    func adjust(_ request: CashbackV1.AdjustRequest, context: RPCServerContext) async throws
        -> CashbackV1.AdjustResponse
    {
        let command = try LedgerStatus.validated { () throws(LedgerRejection) in
            try AdjustCommand(
                merchantID: request.merchantID, orderID: request.orderID,
                idempotencyKey: request.idempotencyKey,
                newAmountMinorUnits: request.newAmountMinor,
                refundedLines: request.refundedLines.map {
                    RefundedLine(sku: $0.sku, amountMinorUnits: $0.amountMinor)
                },
                fullRefund: request.fullRefund, reason: request.reason)
        }
        let result = try await LedgerStatus.storing(logger, "Adjust") {
            try await ledger.adjust(command)
        }
        let outcome = try LedgerStatus.value(result)
        return CashbackV1.AdjustResponse(
            state: Self.wireState(outcome.state), eligibleMinor: outcome.eligibleMinorUnits,
            cashbackMinor: outcome.cashbackMinorUnits,
            clawedBackMinor: outcome.clawedBackMinorUnits, debtMinor: outcome.debtMinorUnits)
    }

    /// Confirm and Cancel: validate the order reference, apply, answer the resulting state.
    private func transition(
        _ request: CashbackV1.OrderRef, _ name: String,
        _ apply: @Sendable (OrderReference) async throws -> Result<AccrualRecord, LedgerRejection>
    ) async throws -> CashbackV1.AccrualStateResponse {
        let reference = try orderReference(request)
        let result = try await LedgerStatus.storing(logger, name) { try await apply(reference) }
        return CashbackV1.AccrualStateResponse(
            state: Self.wireState(try LedgerStatus.value(result).state))
    }

    private func orderReference(_ request: CashbackV1.OrderRef) throws(RPCError) -> OrderReference {
        try LedgerStatus.validated { () throws(LedgerRejection) in
            try OrderReference(merchantID: request.merchantID, orderID: request.orderID)
        }
    }

    /// The domain's states and the schema's share their numbers; this keeps them honest.
    static func wireState(_ state: AccrualState) -> CashbackV1.AccrualState {
        let wire = CashbackV1.AccrualState(rawValue: UInt32(state.rawValue))
        assert(wire.jsonName == "\(state)".uppercased(), "domain and wire states diverged")
        return wire
    }

    static func wireChange(_ change: AccrualChange) -> CashbackV1.AccrualChange {
        let kind: CashbackV1.AccrualChangeKind =
            switch change.kind {
            case .accrue: .accrue
            case .confirm: .confirm
            case .cancel: .cancel
            case .adjust: .adjust
            }
        return CashbackV1.AccrualChange(
            kind: kind, atMs: change.atMilliseconds, state: wireState(change.state),
            eligibleMinor: change.eligibleMinorUnits, cashbackMinor: change.cashbackMinorUnits,
            cashbackDeltaMinor: change.cashbackDeltaMinorUnits, debtMinor: change.debtMinorUnits,
            idempotencyKey: change.idempotencyKey, reason: change.reason)
    }
}
