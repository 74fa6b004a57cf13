import CashbackCore
import CashbackRepository
import GRDB

extension SQLiteLedgerRepository {
    /// Registers a merchant or overwrites its settings, idempotently on the key.
    ///
    /// See `LedgerRepository.upsertMerchant(_:actor:)`.
    ///
    /// ```swift
    /// let outcome = try await repository.upsertMerchant(upsert, actor: "ops-anna")
    /// ```
    public func upsertMerchant(
        _ upsert: MerchantUpsert, actor: String
    ) async throws -> Result<MerchantUpsertOutcome, LedgerRejection> {
        let now = self.clock()
        return try await self.writer.perform { db in
            try Idempotent.run(
                db, method: "Admin/UpsertMerchant", key: upsert.idempotencyKey, request: upsert,
                nowMilliseconds: now
            ) { () throws -> Result<MerchantUpsertOutcome, LedgerRejection> in
                let result = try Self.upsertMerchant(upsert, in: db, nowMilliseconds: now)
                if case .success(let outcome) = result {
                    try MembersTable.recordAction(
                        db, outcome.created ? "create-merchant" : "update-merchant",
                        memberID: nil, merchantID: upsert.merchantID, subjectID: nil,
                        actor: actor, reason: "", nowMilliseconds: now)
                }
                return result
            }
        }
    }

    private static func upsertMerchant(
        _ upsert: MerchantUpsert,
        in db: Database,
        nowMilliseconds: Int64
    ) throws -> Result<MerchantUpsertOutcome, LedgerRejection> {
        let existing = try MerchantsTable.fetch(db, merchantID: upsert.merchantID)
        // On an update, 0 is "not sent": the seed rate of a merchant created long ago need not
        // be looked up to pause it or change its commission. Another value must be the seed.
        if let existing, upsert.shopperRateBasisPoints != 0,
            existing.shopperRateBasisPoints != upsert.shopperRateBasisPoints
        {
            return .failure(
                LedgerRejection(
                    .seedRateChanged,
                    "shopperRateBps \(upsert.shopperRateBasisPoints) differs from "
                        + "\(existing.shopperRateBasisPoints), the shopperRateBps merchant "
                        + "'\(upsert.merchantID)' is registered with; it only seeds a new "
                        + "merchant's first rule set: publish a new rule set "
                        + "(Admin/PublishRuleSet) to change rates, and send 0 or the registered "
                        + "rate in an update"))
        }
        var merchant = Merchant(upsert)
        if let existing { merchant.shopperRateBasisPoints = existing.shopperRateBasisPoints }
        try MerchantsTable.upsert(db, merchant, nowMilliseconds: nowMilliseconds)
        if existing == nil {
            try RuleSetsTable.insert(
                db, merchantID: merchant.merchantID, version: 1,
                rules: .flat(rateBasisPoints: merchant.shopperRateBasisPoints),
                nowMilliseconds: nowMilliseconds)
        }
        return .success(MerchantUpsertOutcome(merchant: merchant, created: existing == nil))
    }
}
