import CashbackCore
import CashbackRepository
import GRDB

/// SQL for the materialized `balances` table.
enum BalancesTable {
    /// The member's balance in `currency`, or `nil` if the ledger never booked one.
    static func fetch(_ db: Database, memberID: String, currency: CurrencyCode) throws -> Balance? {
        let statement = try db.cachedStatement(
            sql: """
                SELECT pending_minor, available_minor, lifetime_minor, debt_minor, reserved_minor,
                       spent_minor, withdrawn_minor, expired_minor
                FROM balances WHERE member_id = ? AND currency = ?
                """
        )
        guard let row = try Row.fetchOne(statement, arguments: [memberID, currency.rawValue]) else {
            return nil
        }
        // By position, in the SELECT's order: GetBalance reads this row whenever the read model
        // does not hold the balance.
        func amount(_ index: Int, _ column: String) throws -> Int64 {
            try StoredValues.nonNegativeAmount(row, at: index, column: column)
        }
        var balance = Balance(
            memberID: memberID,
            currency: currency,
            pendingMinorUnits: try amount(0, "pending_minor"),
            availableMinorUnits: try amount(1, "available_minor"),
            lifetimeMinorUnits: try amount(2, "lifetime_minor"),
            debtMinorUnits: try amount(3, "debt_minor")
        )
        balance.reservedMinorUnits = try amount(4, "reserved_minor")
        balance.spentMinorUnits = try amount(5, "spent_minor")
        balance.withdrawnMinorUnits = try amount(6, "withdrawn_minor")
        balance.expiredMinorUnits = try amount(7, "expired_minor")
        return balance
    }

    /// Adds `delta` to the member's balance, creating it at zero first if needed.
    ///
    /// The sums are computed here with overflow checks rather than in SQL: SQLite would raise
    /// its own overflow error, but only the store can say which bucket and by how much.
    ///
    /// - Returns: The balance as written.
    /// - Throws: `LedgerStoreError` with code `.balanceOutOfRange` if a bucket would overflow
    ///   or go negative; the caller's transaction then rolls back.
    @discardableResult
    static func apply(
        _ db: Database,
        _ delta: BalanceDelta,
        memberID: String,
        currency: CurrencyCode,
        nowMilliseconds: Int64
    ) throws -> Balance {
        let current =
            try Self.fetch(db, memberID: memberID, currency: currency)
            ?? Balance.zero(memberID: memberID, currency: currency)
        let next = try Self.adding(delta, to: current)

        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO balances (member_id, currency, pending_minor, available_minor,
                                      lifetime_minor, debt_minor, reserved_minor, spent_minor,
                                      withdrawn_minor, expired_minor, updated_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (member_id, currency) DO UPDATE SET
                    pending_minor = excluded.pending_minor,
                    available_minor = excluded.available_minor,
                    lifetime_minor = excluded.lifetime_minor,
                    debt_minor = excluded.debt_minor,
                    reserved_minor = excluded.reserved_minor,
                    spent_minor = excluded.spent_minor,
                    withdrawn_minor = excluded.withdrawn_minor,
                    expired_minor = excluded.expired_minor,
                    updated_ms = excluded.updated_ms
                """
        )
        try statement.execute(arguments: [
            memberID, currency.rawValue, next.pendingMinorUnits, next.availableMinorUnits,
            next.lifetimeMinorUnits, next.debtMinorUnits, next.reservedMinorUnits,
            next.spentMinorUnits, next.withdrawnMinorUnits, next.expiredMinorUnits,
            nowMilliseconds,
        ])
        // Paired check across the boundary: what was written reads back the same.
        assert((try? Self.fetch(db, memberID: memberID, currency: currency)) == next)
        return next
    }

    /// `balance + delta`, bucket by bucket, refusing overflow and negative results.
    static func adding(_ delta: BalanceDelta, to balance: Balance) throws -> Balance {
        var next = balance
        next.pendingMinorUnits = try Self.add(
            balance.pendingMinorUnits,
            delta.pendingMinorUnits,
            bucket: .pending,
            balance: balance
        )
        next.availableMinorUnits = try Self.add(
            balance.availableMinorUnits,
            delta.availableMinorUnits,
            bucket: .available,
            balance: balance
        )
        next.lifetimeMinorUnits = try Self.add(
            balance.lifetimeMinorUnits,
            delta.lifetimeMinorUnits,
            bucket: .lifetime,
            balance: balance
        )
        next.debtMinorUnits = try Self.add(
            balance.debtMinorUnits, delta.debtMinorUnits, bucket: .debt, balance: balance)
        next.reservedMinorUnits = try Self.add(
            balance.reservedMinorUnits, delta.reservedMinorUnits, bucket: .reserved,
            balance: balance)
        next.spentMinorUnits = try Self.add(
            balance.spentMinorUnits, delta.spentMinorUnits, bucket: .spent, balance: balance)
        next.withdrawnMinorUnits = try Self.add(
            balance.withdrawnMinorUnits, delta.withdrawnMinorUnits, bucket: .withdrawn,
            balance: balance)
        next.expiredMinorUnits = try Self.add(
            balance.expiredMinorUnits, delta.expiredMinorUnits, bucket: .expired,
            balance: balance)
        return next
    }

    private static func add(
        _ held: Int64,
        _ change: Int64,
        bucket: BalanceBucket,
        balance: Balance
    ) throws -> Int64 {
        let (sum, overflow) = held.addingReportingOverflow(change)
        guard !overflow, sum >= 0 else {
            throw LedgerStoreError(
                .balanceOutOfRange,
                "member '\(balance.memberID)' \(balance.currency) \(bucket) \(held) "
                    + "cannot change by \(change)"
            )
        }
        return sum
    }
}
