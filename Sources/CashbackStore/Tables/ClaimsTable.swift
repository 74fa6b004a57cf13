import CashbackCore
import CashbackRepository
import GRDB

/// SQL for `claims`.
enum ClaimsTable {
    private static let columns = """
        id, member_id, merchant_id, order_id, currency, amount_minor, ordered_at_ms, details,
        state, accrual_id, decided_by, decision_reason, created_ms, decided_ms
        """

    static func insert(_ db: Database, _ filing: ClaimFiling, nowMilliseconds: Int64) throws
        -> ClaimRecord
    {
        try db.cachedStatement(
            sql: """
                INSERT INTO claims (member_id, merchant_id, order_id, currency, amount_minor,
                                    ordered_at_ms, details, state, decided_by, decision_reason,
                                    created_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '', ?)
                """
        ).execute(arguments: [
            filing.memberID, filing.merchantID, filing.orderID, filing.currency.rawValue,
            filing.amountMinorUnits, filing.orderedAtMilliseconds, filing.details,
            Int64(ClaimState.pending.rawValue), nowMilliseconds,
        ])
        return ClaimRecord(
            claimID: db.lastInsertedRowID, memberID: filing.memberID,
            merchantID: filing.merchantID, orderID: filing.orderID, currency: filing.currency,
            amountMinorUnits: filing.amountMinorUnits,
            orderedAtMilliseconds: filing.orderedAtMilliseconds, details: filing.details,
            state: .pending, accrualID: 0, decidedBy: "", decisionReason: "",
            createdAtMilliseconds: nowMilliseconds, decidedAtMilliseconds: 0)
    }

    static func fetch(_ db: Database, id: Int64) throws -> ClaimRecord? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(Self.columns) FROM claims WHERE id = ?"),
            arguments: [id]
        ).map(Self.record)
    }

    /// The open or approved claim of an order, if any.
    static func live(_ db: Database, merchantID: String, orderID: String) throws -> Int64? {
        try Int64.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT id FROM claims
                    WHERE merchant_id = ? AND order_id = ? AND state IN (1, 2)
                    """),
            arguments: [merchantID, orderID])
    }

    static func decide(
        _ db: Database, id: Int64, to state: ClaimState, accrualID: Int64?, actor: String,
        reason: String, nowMilliseconds: Int64
    ) throws {
        try db.cachedStatement(
            sql: """
                UPDATE claims SET state = ?, accrual_id = ?, decided_by = ?, decision_reason = ?,
                                  decided_ms = ?
                WHERE id = ? AND state = 1
                """
        ).execute(arguments: [Int64(state.rawValue), accrualID, actor, reason, nowMilliseconds, id])
        precondition(db.changesCount == 1, "claim \(id) was not pending")
    }

    static func page(_ db: Database, state: ClaimState?, afterID: Int64, limit: Int) throws
        -> [ClaimRecord]
    {
        let raw = state.map { Int64($0.rawValue) }
        return try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT \(Self.columns) FROM claims
                    WHERE id > ? AND (? IS NULL OR state = ?) ORDER BY id LIMIT ?
                    """),
            arguments: [afterID, raw, raw, limit]
        ).map(Self.record)
    }

    private static func record(_ row: Row) throws -> ClaimRecord {
        let rawState: Int64 = row["state"]
        guard let byte = UInt8(exactly: rawState), let state = ClaimState(rawValue: byte) else {
            throw LedgerStoreError(.corruptRow, "claim state \(rawState)")
        }
        return ClaimRecord(
            claimID: row["id"], memberID: row["member_id"], merchantID: row["merchant_id"],
            orderID: row["order_id"], currency: try StoredValues.currency(row, column: "currency"),
            amountMinorUnits: row["amount_minor"], orderedAtMilliseconds: row["ordered_at_ms"],
            details: row["details"], state: state, accrualID: row["accrual_id"] ?? 0,
            decidedBy: row["decided_by"], decisionReason: row["decision_reason"],
            createdAtMilliseconds: row["created_ms"], decidedAtMilliseconds: row["decided_ms"] ?? 0)
    }
}
