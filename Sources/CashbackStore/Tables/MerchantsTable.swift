import CashbackCore
import GRDB

/// SQL for the `merchants` table. Every value is a bound parameter.
enum MerchantsTable {
    /// The merchant with `merchantID`, or `nil`.
    static func fetch(_ db: Database, merchantID: String) throws -> Merchant? {
        let statement = try db.cachedStatement(
            sql: """
                SELECT id, name, currency, shopper_rate_bps FROM merchants WHERE id = ?
                """
        )
        guard let row = try Row.fetchOne(statement, arguments: [merchantID]) else {
            return nil
        }
        return Merchant(
            merchantID: try row.decode(String.self, forColumn: "id"),
            name: try row.decode(String.self, forColumn: "name"),
            currency: try StoredValues.currency(row, column: "currency"),
            shopperRateBasisPoints: try StoredValues.rate(row, column: "shopper_rate_bps")
        )
    }

    /// Inserts a merchant that does not exist yet.
    static func insert(_ db: Database, _ merchant: Merchant, nowMilliseconds: Int64) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO merchants (id, name, currency, shopper_rate_bps, created_ms, updated_ms)
                VALUES (?, ?, ?, ?, ?, ?)
                """
        )
        try statement.execute(arguments: [
            merchant.merchantID, merchant.name, merchant.currency.rawValue,
            merchant.shopperRateBasisPoints, nowMilliseconds, nowMilliseconds,
        ])
        assert(db.changesCount == 1)
    }

    /// Overwrites the name, currency and rate of an existing merchant.
    static func update(_ db: Database, _ merchant: Merchant, nowMilliseconds: Int64) throws {
        let statement = try db.cachedStatement(
            sql: """
                UPDATE merchants SET name = ?, currency = ?, shopper_rate_bps = ?, updated_ms = ?
                WHERE id = ?
                """
        )
        try statement.execute(arguments: [
            merchant.name, merchant.currency.rawValue, merchant.shopperRateBasisPoints,
            nowMilliseconds, merchant.merchantID,
        ])
        assert(db.changesCount == 1)
    }
}
