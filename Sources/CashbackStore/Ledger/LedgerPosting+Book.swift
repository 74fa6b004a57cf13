import CashbackCore
import CashbackRepository
import GRDB

extension LedgerPosting {
    /// Writes the posting for `record`: one journal entry with its lines, and the member's
    /// balance update. Runs inside the caller's transaction, so all of it commits or none.
    ///
    /// - Throws: `LedgerStoreError` with code `.balanceOutOfRange` if the balance would
    ///   overflow or go negative, or a database error.
    func book(
        _ db: Database, for record: AccrualRecord, note: String = "", nowMilliseconds: Int64
    ) throws {
        try self.book(
            db, memberID: record.memberID, currency: record.currency,
            accrualID: record.accrualID, sourceID: nil, note: note,
            nowMilliseconds: nowMilliseconds)
    }

    /// Writes the posting of a member's wallet event: `sourceID` is the redemption or the
    /// withdrawal it records (nil for an expiry); `note` explains it in the member's history
    /// (a reason, an actor, a purchase, a masked destination).
    func book(
        _ db: Database,
        memberID: String,
        currency: CurrencyCode,
        accrualID: Int64?,
        sourceID: Int64?,
        note: String = "",
        nowMilliseconds: Int64
    ) throws {
        precondition(self.isBalanced, "a posting's lines must sum to zero")
        try JournalTable.append(
            db,
            accrualID: accrualID,
            sourceID: sourceID,
            note: note,
            kind: self.kind,
            currency: currency,
            lines: self.lines,
            nowMilliseconds: nowMilliseconds
        )
        try BalancesTable.apply(
            db,
            self.delta,
            memberID: memberID,
            currency: currency,
            nowMilliseconds: nowMilliseconds
        )
    }
}
