import CashbackCore
import CashbackRepository
import GRDB

extension SQLiteLedgerRepository {
    /// A member's balance in one currency, with the soonest expiry among its lots; all zeros
    /// for a member never credited.
    ///
    /// Answered from the read model when it holds the balance (no transaction, no thread hop);
    /// otherwise read on a reader connection over a committed WAL snapshot, which never waits
    /// for the writer and never sees a transaction half done, together with the other balances
    /// asked for meanwhile (``ColdBalanceReads``), and offered to the read model.
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
        let key = BalanceReadModel.Key(memberID: memberID, currency: currency)
        if let held = self.readModel.cached(key) { return held }
        let epoch = self.readModel.epoch
        let balance = try await self.coldReads.balance(memberID: memberID, currency: currency)
        self.readModel.offer(balance, readAtEpoch: epoch)
        return balance
    }

    /// The balance as the file holds it, with its next expiry; zeros for a member never
    /// credited.
    static func readBalance(_ db: Database, memberID: String, currency: CurrencyCode) throws
        -> Balance
    {
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
