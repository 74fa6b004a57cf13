import CashbackCore
import CashbackRepository
import GRDB

extension SQLiteLedgerRepository {
    /// A member's balance in one currency, with the soonest expiry among its lots; all zeros
    /// for a member never credited.
    ///
    /// Runs on a reader connection over a committed WAL snapshot: it never waits for the
    /// writer and never sees a transaction half done.
    ///
    /// ```swift
    /// let balance = try await repository.balance(memberID: "member-7", currency: euro)
    /// ```
    ///
    /// - Parameters:
    ///   - memberID: The member's id.
    ///   - currency: The currency.
    /// - Returns: The balance.
    /// - Throws: `LedgerStoreError` with code `.corruptRow`, or a database error.
    public func balance(memberID: String, currency: CurrencyCode) async throws -> Balance {
        try await self.pool.read { db in
            var balance =
                try BalancesTable.fetch(db, memberID: memberID, currency: currency)
                ?? Balance.zero(memberID: memberID, currency: currency)
            if let next = try LotsTable.nextExpiry(db, memberID: memberID, currency: currency) {
                balance.nextExpiryMinorUnits = next.amountMinorUnits
                balance.nextExpiryAtMilliseconds = next.atMilliseconds
            }
            return balance
        }
    }
}
