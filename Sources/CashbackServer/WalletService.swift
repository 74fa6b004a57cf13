import CashbackAPI
import CashbackCore
import CashbackRepository
import Logging
import RPC

/// `cashback.v1.Wallet`: balances.
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
            debtMinor: balance.debtMinorUnits)
    }
}
