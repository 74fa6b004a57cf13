import CashbackCore
import CashbackRepository
import Foundation
import GRDB

/// SQL for the `accruals` table. Every value is a bound parameter.
enum AccrualsTable {
    private static let columns = """
        id, merchant_id, order_id, member_id, currency, eligible_minor, cashback_minor, state,
        hold_ends_at_ms, first_cashback_minor, pricing, pricing_compact
        """

    /// The accrual of the order `ref`, or `nil`.
    static func fetch(_ db: Database, _ ref: OrderReference) throws -> StoredAccrual? {
        let statement = try db.cachedStatement(
            sql: "SELECT \(Self.columns) FROM accruals WHERE merchant_id = ? AND order_id = ?")
        guard let row = try Row.fetchOne(statement, arguments: [ref.merchantID, ref.orderID]) else {
            return nil
        }
        return try Self.record(row)
    }

    /// Inserts a new pending accrual priced by `explanation`.
    ///
    /// - Returns: The record as stored, with its new id.
    static func insertPending(
        _ db: Database,
        _ command: AccrueCommand,
        explanation: PricingExplanation,
        holdEndsAtMilliseconds: Int64,
        nowMilliseconds: Int64
    ) throws -> AccrualRecord {
        let order = command.order.replacingRuleVersion(explanation.ruleVersion)
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO accruals (merchant_id, order_id, member_id, currency, eligible_minor,
                                      rate_bps, cashback_minor, state, ordered_at_ms,
                                      created_ms, updated_ms, eligible_now_minor, rule_version,
                                      commission_bps, commission_minor, first_cashback_minor,
                                      hold_ends_at_ms, pricing_compact)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        try statement.execute(arguments: [
            command.merchantID, command.orderID, command.memberID, command.currency.rawValue,
            command.eligibleMinorUnits,
            // The v1 column: the rate of the first line (every line's is in `pricing`).
            explanation.lines.first?.rateBasisPoints ?? 0,
            explanation.cashbackMinorUnits, Int64(AccrualState.pending.rawValue),
            command.orderedAtMilliseconds, nowMilliseconds, nowMilliseconds,
            explanation.eligibleMinorUnits, explanation.ruleVersion,
            explanation.commissionBasisPoints, explanation.commissionMinorUnits,
            explanation.cashbackMinorUnits, holdEndsAtMilliseconds,
            Data(StoredPricing(order: order, explanation: explanation).compactBytes()),
        ])
        assert(db.changesCount == 1)
        return AccrualRecord(
            accrualID: db.lastInsertedRowID, merchantID: command.merchantID,
            orderID: command.orderID, memberID: command.memberID, currency: command.currency,
            reportedMinorUnits: command.eligibleMinorUnits, order: order,
            explanation: explanation, state: .pending,
            holdEndsAtMilliseconds: holdEndsAtMilliseconds)
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
            sql: "UPDATE accruals SET state = ?, updated_ms = ? WHERE id = ? AND state = ?")
        try statement.execute(arguments: [
            Int64(to.rawValue), nowMilliseconds, accrualID, Int64(from.rawValue),
        ])
        precondition(db.changesCount == 1, "accrual \(accrualID) was not in state \(from)")
    }

    /// Stores the order and pricing of `record` after an adjustment, in the compact form: a
    /// row written before v5 leaves its JSON then (`pricing` goes back to `'{}'`).
    static func updatePricing(_ db: Database, _ record: AccrualRecord, nowMilliseconds: Int64)
        throws
    {
        let statement = try db.cachedStatement(
            sql: """
                UPDATE accruals SET cashback_minor = ?, eligible_now_minor = ?,
                    commission_minor = ?, pricing = '{}', pricing_compact = ?, updated_ms = ?
                WHERE id = ?
                """
        )
        let pricing = StoredPricing(order: record.order, explanation: record.explanation)
        try statement.execute(arguments: [
            record.cashbackMinorUnits, record.eligibleMinorUnits, record.commissionMinorUnits,
            Data(pricing.compactBytes()), nowMilliseconds, record.accrualID,
        ])
        precondition(db.changesCount == 1, "accrual \(record.accrualID) vanished")
    }

    /// Links accrual `accrualID` to the claim it was booked from.
    static func linkClaim(_ db: Database, accrualID: Int64, claimID: Int64) throws {
        try db.cachedStatement(sql: "UPDATE accruals SET claim_id = ? WHERE id = ?")
            .execute(arguments: [claimID, accrualID])
        precondition(db.changesCount == 1, "accrual \(accrualID) vanished")
    }

    /// How many accruals of `memberID` were booked after `sinceMilliseconds`.
    static func count(_ db: Database, memberID: String, sinceMilliseconds: Int64) throws -> Int {
        try Int.fetchOne(
            db.cachedStatement(
                sql: "SELECT COUNT(*) FROM accruals WHERE member_id = ? AND created_ms > ?"),
            arguments: [memberID, sinceMilliseconds]) ?? 0
    }

    /// Every accrual, in id order, for `verifyBooks()`.
    static func cursor(_ db: Database) throws -> RowCursor {
        try Row.fetchCursor(db, sql: "SELECT \(Self.columns) FROM accruals ORDER BY id")
    }

    /// An accrual row as a record.
    static func record(_ row: Row) throws -> StoredAccrual {
        let reported = try StoredValues.nonNegativeAmount(row, column: "eligible_minor")
        let cashback = try StoredValues.nonNegativeAmount(row, column: "cashback_minor")
        let pricing = try Self.pricing(row)
        guard cashback <= reported, pricing.explanation.cashbackMinorUnits == cashback,
            pricing.explanation.eligibleMinorUnits <= reported
        else {
            throw LedgerStoreError(
                .corruptRow,
                "accrual cashback \(cashback) disagrees with its pricing or exceeds \(reported)")
        }
        let record = AccrualRecord(
            accrualID: try row.decode(Int64.self, forColumn: "id"),
            merchantID: try row.decode(String.self, forColumn: "merchant_id"),
            orderID: try row.decode(String.self, forColumn: "order_id"),
            memberID: try row.decode(String.self, forColumn: "member_id"),
            currency: try StoredValues.currency(row, column: "currency"),
            reportedMinorUnits: reported,
            order: pricing.order,
            explanation: pricing.explanation,
            state: try StoredValues.accrualState(row, column: "state"),
            holdEndsAtMilliseconds: try row.decode(Int64.self, forColumn: "hold_ends_at_ms"))
        return StoredAccrual(
            record: record,
            firstCashbackMinorUnits: try StoredValues.nonNegativeAmount(
                row, column: "first_cashback_minor"))
    }
}

extension AccrualsTable {
    /// The row's order and pricing: the compact form where the row has one, else the JSON a
    /// row written before v5 holds.
    static func pricing(_ row: Row) throws -> StoredPricing {
        if let compact = try row.decode(Data?.self, forColumn: "pricing_compact") {
            return try StoredPricing(compactBytes: [UInt8](compact), column: "pricing_compact")
        }
        return try StoredJSON.decode(
            StoredPricing.self, try row.decode(String.self, forColumn: "pricing"),
            column: "pricing")
    }
}

/// An accrual as stored, with what its first answer said.
struct StoredAccrual {
    var record: AccrualRecord
    var firstCashbackMinorUnits: Int64
}
