import CashbackCore
import CashbackRepository
import GRDB

/// SQL for the `merchants` table. Every value is a bound parameter.
enum MerchantsTable {
    /// The merchant with `merchantID`, or `nil`.
    static func fetch(_ db: Database, merchantID: String) throws -> Merchant? {
        let statement = try db.cachedStatement(
            sql: """
                SELECT id, name, currency, shopper_rate_bps, commission_bps, hold_days,
                       cashback_expiry_days, status
                FROM merchants WHERE id = ?
                """
        )
        guard let row = try Row.fetchOne(statement, arguments: [merchantID]) else {
            return nil
        }
        let rawStatus = try row.decode(Int64.self, forColumn: "status")
        guard let narrow = UInt8(exactly: rawStatus), let status = MerchantStatus(rawValue: narrow)
        else {
            throw LedgerStoreError(.corruptRow, "column status holds merchant status \(rawStatus)")
        }
        return Merchant(
            merchantID: try row.decode(String.self, forColumn: "id"),
            name: try row.decode(String.self, forColumn: "name"),
            currency: try StoredValues.currency(row, column: "currency"),
            shopperRateBasisPoints: try StoredValues.rate(row, column: "shopper_rate_bps"),
            commissionBasisPoints: try StoredValues.rate(row, column: "commission_bps"),
            holdDays: try StoredValues.days(row, column: "hold_days"),
            cashbackExpiryDays: try StoredValues.days(row, column: "cashback_expiry_days"),
            status: status
        )
    }

    /// Inserts a merchant that does not exist yet, or overwrites every field of one that does.
    static func upsert(_ db: Database, _ merchant: Merchant, nowMilliseconds: Int64) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO merchants (id, name, currency, shopper_rate_bps, commission_bps,
                                       hold_days, cashback_expiry_days, status, created_ms,
                                       updated_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    name = excluded.name, currency = excluded.currency,
                    commission_bps = excluded.commission_bps, hold_days = excluded.hold_days,
                    cashback_expiry_days = excluded.cashback_expiry_days,
                    status = excluded.status, updated_ms = excluded.updated_ms
                """
        )
        try statement.execute(arguments: [
            merchant.merchantID, merchant.name, merchant.currency.rawValue,
            merchant.shopperRateBasisPoints, merchant.commissionBasisPoints, merchant.holdDays,
            merchant.cashbackExpiryDays, Int64(merchant.status.rawValue), nowMilliseconds,
            nowMilliseconds,
        ])
        assert(db.changesCount == 1)
    }
}
