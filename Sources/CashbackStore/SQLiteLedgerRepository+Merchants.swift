import CashbackCore
import GRDB

extension SQLiteLedgerRepository {
    /// Registers a merchant or overwrites its name, currency and rate.
    ///
    /// See `LedgerRepository.upsertMerchant(_:)`.
    ///
    /// ```swift
    /// let outcome = try await repository.upsertMerchant(upsert)
    /// print(outcome.created)  // true the first time
    /// ```
    ///
    /// - Parameter upsert: The validated merchant.
    /// - Returns: The merchant as stored and whether this call created it.
    /// - Throws: A database error; nothing was written.
    public func upsertMerchant(_ upsert: MerchantUpsert) async throws -> MerchantUpsertOutcome {
        let now = Self.nowMilliseconds()
        let merchant = Merchant(upsert)
        // Returns once the transaction has committed: `write` commits before it resumes us.
        return try await self.pool.write { db in
            if try MerchantsTable.fetch(db, merchantID: merchant.merchantID) == nil {
                try MerchantsTable.insert(db, merchant, nowMilliseconds: now)
                return MerchantUpsertOutcome(merchant: merchant, created: true)
            }
            try MerchantsTable.update(db, merchant, nowMilliseconds: now)
            return MerchantUpsertOutcome(merchant: merchant, created: false)
        }
    }
}
