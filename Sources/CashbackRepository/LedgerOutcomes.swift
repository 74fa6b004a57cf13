import CashbackCore

/// What `LedgerRepository.upsertMerchant(_:)` did.
public struct MerchantUpsertOutcome: Hashable, Sendable, Codable {
    /// The merchant as stored by the call.
    public var merchant: Merchant
    /// `true` if the merchant was registered by this call, `false` if an existing one was
    /// updated. A replay answers the first call's value.
    public var created: Bool
    /// `true` if the call replayed an idempotency key: nothing was written.
    public var replayed: Bool

    /// Creates an outcome.
    public init(merchant: Merchant, created: Bool, replayed: Bool = false) {
        self.merchant = merchant
        self.created = created
        self.replayed = replayed
    }
}

/// One published rule-set version.
public struct PublishedRuleSet: Hashable, Sendable, Codable {
    /// The merchant.
    public var merchantID: String
    /// The version: 1 for the first, then one more per publication.
    public var version: Int64
    /// When it was published, in milliseconds since the Unix epoch.
    public var publishedAtMilliseconds: Int64
    /// The rules.
    public var rules: RuleSet
    /// `true` if the call replayed an idempotency key: nothing was written.
    public var replayed: Bool

    /// Creates a published rule set.
    public init(
        merchantID: String, version: Int64, publishedAtMilliseconds: Int64, rules: RuleSet,
        replayed: Bool = false
    ) {
        self.merchantID = merchantID
        self.version = version
        self.publishedAtMilliseconds = publishedAtMilliseconds
        self.rules = rules
        self.replayed = replayed
    }
}

/// What `LedgerRepository.accrue(_:)` did with an accepted command.
public struct AccrueOutcome: Hashable, Sendable {
    /// The accrual as stored.
    public var record: AccrualRecord
    /// `true` if the command repeated one already accrued: nothing was written and `record`
    /// is the accrual as it is now (its first answer is PENDING with `firstCashbackMinorUnits`).
    public var replayed: Bool
    /// The cashback the first answer gave, in minor units: a replay answers the same even
    /// after an adjustment lowered the accrual's cashback.
    public var firstCashbackMinorUnits: Int64

    /// Creates an outcome.
    public init(record: AccrualRecord, replayed: Bool, firstCashbackMinorUnits: Int64) {
        self.record = record
        self.replayed = replayed
        self.firstCashbackMinorUnits = firstCashbackMinorUnits
    }
}

/// What `LedgerRepository.adjust(_:)` answered; a replay answers the same values.
public struct AdjustOutcome: Hashable, Sendable, Codable {
    /// The accrual's state after the adjustment.
    public var state: AccrualState
    /// The eligible amount left, in minor units.
    public var eligibleMinorUnits: Int64
    /// The accrual's cashback after the adjustment, in minor units.
    public var cashbackMinorUnits: Int64
    /// The cashback this adjustment took back, in minor units.
    public var clawedBackMinorUnits: Int64
    /// Of that, the part that became the member's debt (after confirmation, what the available
    /// balance could not cover), in minor units.
    public var debtMinorUnits: Int64
    /// `true` if the call replayed an idempotency key: nothing was written.
    public var replayed: Bool

    /// Creates an outcome.
    public init(
        state: AccrualState, eligibleMinorUnits: Int64, cashbackMinorUnits: Int64,
        clawedBackMinorUnits: Int64, debtMinorUnits: Int64, replayed: Bool = false
    ) {
        self.state = state
        self.eligibleMinorUnits = eligibleMinorUnits
        self.cashbackMinorUnits = cashbackMinorUnits
        self.clawedBackMinorUnits = clawedBackMinorUnits
        self.debtMinorUnits = debtMinorUnits
        self.replayed = replayed
    }
}

/// An accrual with its history, as `LedgerRepository.accrual(_:)` answers it.
public struct AccrualDetails: Hashable, Sendable {
    /// The accrual as it is now.
    public var record: AccrualRecord
    /// Every change, oldest first.
    public var history: [AccrualChange]

    /// Creates the details.
    public init(record: AccrualRecord, history: [AccrualChange]) {
        self.record = record
        self.history = history
    }
}
