import CashbackCore
import GRDB

/// SQL for the `accruals` table. Every value is a bound parameter.
enum AccrualsTable {
    /// The accrual of the order `ref`, or `nil`.
    static func fetch(_ db: Database, _ ref: OrderReference) throws -> AccrualRecord? {
        let statement = try db.cachedStatement(
            sql: """
                SELECT id, merchant_id, order_id, member_id, currency, eligible_minor, rate_bps,
                       cashback_minor, state, ordered_at_ms
                FROM accruals WHERE merchant_id = ? AND order_id = ?
                """
        )
        guard let row = try Row.fetchOne(statement, arguments: [ref.merchantID, ref.orderID]) else {
            return nil
        }
        return try Self.record(row)
    }

    /// Inserts a new pending accrual for `command` at the locked `rateBasisPoints`.
    ///
    /// - Returns: The record as stored, with its new id.
    static func insertPending(
        _ db: Database,
        _ command: AccrueCommand,
        rateBasisPoints: Int64,
        cashbackMinorUnits: Int64,
        nowMilliseconds: Int64
    ) throws -> AccrualRecord {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO accruals (merchant_id, order_id, member_id, currency, eligible_minor,
                                      rate_bps, cashback_minor, state, ordered_at_ms,
                                      created_ms, updated_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        try statement.execute(arguments: [
            command.merchantID, command.orderID, command.memberID, command.currency.rawValue,
            command.eligibleMinorUnits, rateBasisPoints, cashbackMinorUnits,
            Int64(AccrualState.pending.rawValue), command.orderedAtMilliseconds,
            nowMilliseconds, nowMilliseconds,
        ])
        assert(db.changesCount == 1)
        return AccrualRecord(
            accrualID: db.lastInsertedRowID,
            merchantID: command.merchantID,
            orderID: command.orderID,
            memberID: command.memberID,
            currency: command.currency,
            eligibleMinorUnits: command.eligibleMinorUnits,
            shopperRateBasisPoints: rateBasisPoints,
            cashbackMinorUnits: cashbackMinorUnits,
            state: .pending,
            orderedAtMilliseconds: command.orderedAtMilliseconds
        )
    }

    /// Moves accrual `accrualID` from state `from` to state `to`.
    static func updateState(
        _ db: Database,
        accrualID: Int64,
        from: AccrualState,
        to: AccrualState,
        nowMilliseconds: Int64
    ) throws {
        // The `state = ?` guard makes a lost race (impossible with one writer, but cheap to
        // rule out) change nothing instead of overwriting a state it did not read.
        let statement = try db.cachedStatement(
            sql: """
                UPDATE accruals SET state = ?, updated_ms = ? WHERE id = ? AND state = ?
                """
        )
        try statement.execute(arguments: [
            Int64(to.rawValue), nowMilliseconds, accrualID, Int64(from.rawValue),
        ])
        precondition(db.changesCount == 1, "accrual \(accrualID) was not in state \(from)")
    }

    private static func record(_ row: Row) throws -> AccrualRecord {
        let eligible = try StoredValues.nonNegativeAmount(row, column: "eligible_minor")
        let cashback = try StoredValues.nonNegativeAmount(row, column: "cashback_minor")
        guard cashback <= eligible else {
            throw LedgerStoreError(
                .corruptRow,
                "accrual cashback \(cashback) exceeds eligible \(eligible)"
            )
        }
        return AccrualRecord(
            accrualID: try row.decode(Int64.self, forColumn: "id"),
            merchantID: try row.decode(String.self, forColumn: "merchant_id"),
            orderID: try row.decode(String.self, forColumn: "order_id"),
            memberID: try row.decode(String.self, forColumn: "member_id"),
            currency: try StoredValues.currency(row, column: "currency"),
            eligibleMinorUnits: eligible,
            shopperRateBasisPoints: try StoredValues.rate(row, column: "rate_bps"),
            cashbackMinorUnits: cashback,
            state: try StoredValues.accrualState(row, column: "state"),
            orderedAtMilliseconds: try row.decode(Int64.self, forColumn: "ordered_at_ms")
        )
    }
}
