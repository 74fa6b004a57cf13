import CashbackAPI
import CashbackCore
import CashbackStore
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
                currency: request.currency, orderedAtMilliseconds: request.orderedAtMs)
        }
        let result = try await LedgerStatus.storing(logger, "Accrue") {
            try await ledger.accrue(command)
        }
        let outcome = try LedgerStatus.value(result)
        // The first answer to an accrual is always PENDING, and a replay answers the first
        // answer, whatever happened to the accrual since.
        return CashbackV1.AccrueResponse(
            accrualID: outcome.record.accrualID,
            cashbackMinor: outcome.record.cashbackMinorUnits,
            state: .pending)
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
}
