import CashbackAPI
import CashbackCore
import CashbackStore
import Logging
import RPC

/// `cashback.v1.Admin`: merchants.
struct AdminService: CashbackV1.Admin.ServiceProtocol {
    let ledger: any LedgerRepository
    let logger: Logger

    func upsertMerchant(_ request: CashbackV1.UpsertMerchantRequest, context: RPCServerContext)
        async throws -> CashbackV1.UpsertMerchantResponse
    {
        let upsert = try LedgerStatus.validated { () throws(LedgerRejection) in
            try MerchantUpsert(
                merchantID: request.merchantID, name: request.name, currency: request.currency,
                shopperRateBasisPoints: Int64(request.shopperRateBps))
        }
        let outcome = try await LedgerStatus.storing(logger, "UpsertMerchant") {
            try await ledger.upsertMerchant(upsert)
        }
        return CashbackV1.UpsertMerchantResponse(
            merchantID: outcome.merchant.merchantID, created: outcome.created)
    }
}
