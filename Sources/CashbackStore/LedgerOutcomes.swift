import CashbackCore

/// What `LedgerRepository.upsertMerchant(_:)` did.
public struct MerchantUpsertOutcome: Hashable, Sendable {
    /// The merchant as stored after the upsert.
    public var merchant: Merchant
    /// `true` if the merchant was registered by this call, `false` if an existing one was
    /// updated.
    public var created: Bool

    /// Creates an outcome.
    ///
    /// - Parameters:
    ///   - merchant: The merchant as stored.
    ///   - created: Whether the call registered it.
    public init(merchant: Merchant, created: Bool) {
        self.merchant = merchant
        self.created = created
    }
}

/// What `LedgerRepository.accrue(_:)` did with an accepted command.
public struct AccrueOutcome: Hashable, Sendable {
    /// The accrual as stored.
    public var record: AccrualRecord
    /// `true` if the command repeated one already accrued: nothing was written and `record`
    /// is the first result (in its current state, which may since have moved on).
    public var replayed: Bool

    /// Creates an outcome.
    ///
    /// - Parameters:
    ///   - record: The accrual as stored.
    ///   - replayed: Whether the command was a replay.
    public init(record: AccrualRecord, replayed: Bool) {
        self.record = record
        self.replayed = replayed
    }
}
