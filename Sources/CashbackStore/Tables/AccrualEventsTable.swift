import CashbackCore
import CashbackRepository
import GRDB

/// SQL for the append-only `accrual_events` table: each accrual's history.
enum AccrualEventsTable {
    /// Appends one change of accrual `accrualID`.
    static func append(_ db: Database, accrualID: Int64, _ change: AccrualChange) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO accrual_events (accrual_id, kind, state, eligible_minor,
                    cashback_minor, cashback_delta_minor, debt_minor, idempotency_key, reason,
                    created_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        try statement.execute(arguments: [
            accrualID, change.kind.rawValue, Int64(change.state.rawValue),
            change.eligibleMinorUnits, change.cashbackMinorUnits, change.cashbackDeltaMinorUnits,
            change.debtMinorUnits, change.idempotencyKey, change.reason, change.atMilliseconds,
        ])
    }

    /// How many changes of `kind` accrual `accrualID` has had.
    static func count(_ db: Database, accrualID: Int64, kind: AccrualChange.Kind) throws -> Int {
        let statement = try db.cachedStatement(
            sql: "SELECT COUNT(*) FROM accrual_events WHERE accrual_id = ? AND kind = ?")
        return try Int.fetchOne(statement, arguments: [accrualID, kind.rawValue]) ?? 0
    }

    /// The history of accrual `accrualID`, oldest first.
    static func fetchAll(_ db: Database, accrualID: Int64) throws -> [AccrualChange] {
        let statement = try db.cachedStatement(
            sql: """
                SELECT kind, state, eligible_minor, cashback_minor, cashback_delta_minor,
                       debt_minor, idempotency_key, reason, created_ms
                FROM accrual_events WHERE accrual_id = ? ORDER BY id
                """
        )
        return try Row.fetchAll(statement, arguments: [accrualID]).map { row in
            let rawKind = try row.decode(String.self, forColumn: "kind")
            guard let kind = AccrualChange.Kind(rawValue: rawKind) else {
                throw LedgerStoreError(.corruptRow, "column kind holds '\(rawKind)'")
            }
            return AccrualChange(
                kind: kind,
                atMilliseconds: try row.decode(Int64.self, forColumn: "created_ms"),
                state: try StoredValues.accrualState(row, column: "state"),
                eligibleMinorUnits: try StoredValues.nonNegativeAmount(row, column: "eligible_minor"),
                cashbackMinorUnits: try StoredValues.nonNegativeAmount(row, column: "cashback_minor"),
                cashbackDeltaMinorUnits: try row.decode(Int64.self, forColumn: "cashback_delta_minor"),
                debtMinorUnits: try StoredValues.nonNegativeAmount(row, column: "debt_minor"),
                idempotencyKey: try row.decode(String.self, forColumn: "idempotency_key"),
                reason: try row.decode(String.self, forColumn: "reason"))
        }
    }
}
