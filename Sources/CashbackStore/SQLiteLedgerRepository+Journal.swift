import CashbackCore
import CashbackRepository
import GRDB

extension SQLiteLedgerRepository {
    /// One page of the journal from a reader snapshot.
    /// See `LedgerRepository.journalEntries(afterID:limit:)`.
    public func journalEntries(afterID: Int64, limit: Int) async throws
        -> [ExportedJournalEntry]
    {
        precondition(afterID >= 0, "journal cursors are not negative")
        precondition(limit > 0 && limit <= LedgerLimits.journalPageMax)
        return try await self.pool.read { db in
            var entries = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT id, kind, created_ms, accrual_id, source_id, note
                        FROM journal_entries WHERE id > ? ORDER BY id LIMIT ?
                        """),
                arguments: [afterID, limit]
            ).map(Self.exportedEntry)
            guard let first = entries.first, let last = entries.last else { return [] }
            // Lines of the whole page in one range scan, in entry then booking order.
            let lines = try Row.fetchCursor(
                db.cachedStatement(
                    sql: """
                        SELECT entry_id, account, owner_id, currency, amount_minor
                        FROM journal_lines WHERE entry_id BETWEEN ? AND ?
                        ORDER BY entry_id, id
                        """),
                arguments: [first.entryID, last.entryID])
            var index = 0
            while let row = try lines.next() {
                let entryID: Int64 = row["entry_id"]
                while entries[index].entryID < entryID { index += 1 }
                entries[index].lines.append(
                    ExportedJournalEntry.Line(
                        account: row["account"], ownerID: row["owner_id"],
                        currency: row["currency"], amountMinorUnits: row["amount_minor"]))
            }
            return entries
        }
    }

    /// An entry row without its lines; `source_id` is a redemption's or a withdrawal's id, as
    /// the entry's kind says.
    private static func exportedEntry(_ row: Row) -> ExportedJournalEntry {
        let kind: String = row["kind"]
        let sourceID: Int64 = row["source_id"] ?? 0
        let sourceTable = JournalEntryKind(rawValue: kind)?.sourceTable
        return ExportedJournalEntry(
            entryID: row["id"], kind: kind, createdAtMilliseconds: row["created_ms"],
            accrualID: row["accrual_id"] ?? 0,
            redemptionID: sourceTable == .redemption ? sourceID : 0,
            withdrawalID: sourceTable == .withdrawal ? sourceID : 0,
            note: row["note"] ?? "", lines: [])
    }
}
