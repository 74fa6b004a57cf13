import CashbackCore
import GRDB

/// SQL for the append-only `journal_entries` and `journal_lines` tables.
enum JournalTable {
    /// Appends one entry with its lines, all in `currency`.
    ///
    /// - Returns: The new entry's id.
    @discardableResult
    static func append(
        _ db: Database,
        accrualID: Int64?,
        sourceID: Int64? = nil,
        note: String = "",
        kind: JournalEntryKind,
        currency: CurrencyCode,
        lines: [JournalLine],
        nowMilliseconds: Int64
    ) throws -> Int64 {
        let entry = try db.cachedStatement(
            sql: """
                INSERT INTO journal_entries (accrual_id, source_id, kind, note, created_ms)
                VALUES (?, ?, ?, ?, ?)
                """
        )
        try entry.execute(arguments: [accrualID, sourceID, kind.rawValue, note, nowMilliseconds])
        let entryID = db.lastInsertedRowID

        let line = try db.cachedStatement(
            sql: """
                INSERT INTO journal_lines (entry_id, account, owner_id, currency, amount_minor)
                VALUES (?, ?, ?, ?, ?)
                """
        )
        for journalLine in lines {
            try line.execute(arguments: [
                entryID, journalLine.account.rawValue, journalLine.ownerID, currency.rawValue,
                journalLine.amountMinorUnits,
            ])
        }
        return entryID
    }
}
