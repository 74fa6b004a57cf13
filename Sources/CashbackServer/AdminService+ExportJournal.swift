import CashbackAPI
import CashbackCore
import CashbackRepository
import RPC

extension AdminService {
    /// Streams the journal after `afterEntryId`, page by page from the store: each page is
    /// one short read, written out before the next is read, so memory stays bounded by a page
    /// and no read transaction waits on a slow client.
    func exportJournal(
        _ request: CashbackV1.ExportJournalRequest,
        writer: RPCStreamWriter<CashbackV1.JournalEntry>, context: RPCServerContext
    ) async throws {
        let limit = try LedgerStatus.validated { () throws(LedgerRejection) -> Int in
            guard request.afterEntryID >= 0 else {
                throw LedgerRejection(
                    .invalidArgument,
                    "afterEntryId must be 0 (the start) or an entry id, got \(request.afterEntryID)")
            }
            let max = LedgerLimits.journalExportEntriesMax
            guard (0...Int32(max)).contains(request.limit) else {
                throw LedgerRejection(
                    .invalidArgument,
                    "limit must be 1 to \(max) (0 means \(max)), got \(request.limit)")
            }
            return request.limit == 0 ? max : Int(request.limit)
        }
        var cursor = request.afterEntryID
        var remaining = limit
        while remaining > 0 {
            let pageSize = min(remaining, LedgerLimits.journalPageMax)
            let page = try await LedgerStatus.storing(logger, "ExportJournal") {
                try await ledger.journalEntries(afterID: cursor, limit: pageSize)
            }
            for entry in page {
                assert(entry.entryID > cursor, "the journal is read in id order")
                try await writer.write(Self.wire(entry))
                cursor = entry.entryID
            }
            remaining -= page.count
            if page.count < pageSize { break }  // the end of the journal
        }
    }

    private static func wire(_ entry: ExportedJournalEntry) -> CashbackV1.JournalEntry {
        CashbackV1.JournalEntry(
            entryID: entry.entryID, kind: entry.kind, createdAtMs: entry.createdAtMilliseconds,
            accrualID: entry.accrualID, redemptionID: entry.redemptionID,
            withdrawalID: entry.withdrawalID, note: entry.note,
            lines: entry.lines.map {
                CashbackV1.JournalLine(
                    account: $0.account, ownerID: $0.ownerID, currency: $0.currency,
                    amountMinor: $0.amountMinorUnits)
            })
    }
}
