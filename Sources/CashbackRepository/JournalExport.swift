/// One journal entry with its lines, as an export reads it.
public struct ExportedJournalEntry: Hashable, Sendable {
    /// One line: a signed amount on one account.
    public struct Line: Hashable, Sendable {
        /// The account's kind as stored, e.g. `member-available`.
        public var account: String
        /// The member or merchant that owns the account.
        public var ownerID: String
        /// The ISO 4217 code.
        public var currency: String
        /// Signed minor units; an entry's lines sum to zero.
        public var amountMinorUnits: Int64

        public init(account: String, ownerID: String, currency: String, amountMinorUnits: Int64) {
            self.account = account
            self.ownerID = ownerID
            self.currency = currency
            self.amountMinorUnits = amountMinorUnits
        }
    }

    /// The entry's id; ids order the journal.
    public var entryID: Int64
    /// The entry's kind as stored, e.g. `accrue`.
    public var kind: String
    public var createdAtMilliseconds: Int64
    /// The accrual it books; 0: none.
    public var accrualID: Int64
    /// The redemption it books; 0: none.
    public var redemptionID: Int64
    /// The withdrawal it books; 0: none.
    public var withdrawalID: Int64
    /// The note kept with it; empty for most kinds.
    public var note: String
    /// Its lines, in booking order.
    public var lines: [Line]

    public init(
        entryID: Int64, kind: String, createdAtMilliseconds: Int64, accrualID: Int64,
        redemptionID: Int64, withdrawalID: Int64, note: String, lines: [Line]
    ) {
        self.entryID = entryID
        self.kind = kind
        self.createdAtMilliseconds = createdAtMilliseconds
        self.accrualID = accrualID
        self.redemptionID = redemptionID
        self.withdrawalID = withdrawalID
        self.note = note
        self.lines = lines
    }
}
