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

/// A redemption as answered by Redeem and RefundRedemption; a replay answers the same.
public struct RedemptionOutcome: Hashable, Sendable, Codable {
    /// The redemption's id.
    public var redemptionID: Int64
    /// The member.
    public var memberID: String
    /// The currency.
    public var currency: CurrencyCode
    /// The amount spent, in minor units.
    public var amountMinorUnits: Int64
    /// The part refunded so far, in minor units.
    public var refundedMinorUnits: Int64
    /// The member's available balance right after the command, in minor units.
    public var availableMinorUnits: Int64
    /// `true` if the call replayed an idempotency key: nothing was written.
    public var replayed: Bool

    /// Creates an outcome.
    public init(
        redemptionID: Int64, memberID: String, currency: CurrencyCode, amountMinorUnits: Int64,
        refundedMinorUnits: Int64, availableMinorUnits: Int64, replayed: Bool = false
    ) {
        self.redemptionID = redemptionID
        self.memberID = memberID
        self.currency = currency
        self.amountMinorUnits = amountMinorUnits
        self.refundedMinorUnits = refundedMinorUnits
        self.availableMinorUnits = availableMinorUnits
        self.replayed = replayed
    }
}

/// A withdrawal as the ledger holds it, with its destination masked.
public struct WithdrawalRecord: Hashable, Sendable, Codable {
    /// The withdrawal's id.
    public var withdrawalID: Int64
    /// The member.
    public var memberID: String
    /// The currency.
    public var currency: CurrencyCode
    /// The amount, in minor units.
    public var amountMinorUnits: Int64
    /// The destination's kind.
    public var destinationKind: PayoutDestination.Kind
    /// The destination's account, masked (`PayoutDestination.masked`).
    public var maskedAccount: String
    /// Where the withdrawal is.
    public var state: WithdrawalState
    /// Why it failed (empty unless failed).
    public var failureReason: String
    /// When it was requested, in milliseconds since the Unix epoch.
    public var createdAtMilliseconds: Int64
    /// When it was completed or failed (0 while reserved).
    public var settledAtMilliseconds: Int64
    /// `true` if the call replayed an idempotency key: nothing was written.
    public var replayed: Bool

    /// Creates a record.
    public init(
        withdrawalID: Int64, memberID: String, currency: CurrencyCode, amountMinorUnits: Int64,
        destinationKind: PayoutDestination.Kind, maskedAccount: String, state: WithdrawalState,
        failureReason: String, createdAtMilliseconds: Int64, settledAtMilliseconds: Int64,
        replayed: Bool = false
    ) {
        self.withdrawalID = withdrawalID
        self.memberID = memberID
        self.currency = currency
        self.amountMinorUnits = amountMinorUnits
        self.destinationKind = destinationKind
        self.maskedAccount = maskedAccount
        self.state = state
        self.failureReason = failureReason
        self.createdAtMilliseconds = createdAtMilliseconds
        self.settledAtMilliseconds = settledAtMilliseconds
        self.replayed = replayed
    }
}

/// What a freeze or an unfreeze answered.
public struct MemberFreezeOutcome: Hashable, Sendable, Codable {
    /// The member.
    public var memberID: String
    /// Whether the member is frozen now.
    public var frozen: Bool
    /// `true` if the call replayed an idempotency key: nothing was written.
    public var replayed: Bool

    /// Creates an outcome.
    public init(memberID: String, frozen: Bool, replayed: Bool = false) {
        self.memberID = memberID
        self.frozen = frozen
        self.replayed = replayed
    }
}

/// What an expiry run did.
public struct ExpiryRunOutcome: Hashable, Sendable, Codable {
    /// Lots that expired in this run.
    public var expiredLotCount: Int
    /// Member accounts (member, currency) that lost cashback in this run.
    public var memberAccountCount: Int
    /// `true` when more expired lots remain than one run takes: run again (with a new key).
    public var more: Bool
    /// `true` if the call replayed an idempotency key: nothing was written.
    public var replayed: Bool

    /// Creates an outcome.
    public init(expiredLotCount: Int, memberAccountCount: Int, more: Bool, replayed: Bool = false) {
        self.expiredLotCount = expiredLotCount
        self.memberAccountCount = memberAccountCount
        self.more = more
        self.replayed = replayed
    }
}

/// A claim as the ledger holds it; a replay answers the same.
public struct ClaimRecord: Hashable, Sendable, Codable {
    /// The claim's id.
    public var claimID: Int64
    /// The member who filed it.
    public var memberID: String
    /// The merchant of the claimed order.
    public var merchantID: String
    /// The claimed order.
    public var orderID: String
    /// The order's currency.
    public var currency: CurrencyCode
    /// The order's eligible amount, in minor units.
    public var amountMinorUnits: Int64
    /// When the order was placed.
    public var orderedAtMilliseconds: Int64
    /// What the member said.
    public var details: String
    /// Where the claim is.
    public var state: ClaimState
    /// The accrual an approval booked (0 otherwise).
    public var accrualID: Int64
    /// Who decided (empty while pending).
    public var decidedBy: String
    /// Why (empty while pending).
    public var decisionReason: String
    /// When it was filed, in milliseconds since the Unix epoch.
    public var createdAtMilliseconds: Int64
    /// When it was decided (0 while pending).
    public var decidedAtMilliseconds: Int64
    /// `true` if the call replayed an idempotency key: nothing was written.
    public var replayed: Bool = false

    /// Creates a record.
    public init(
        claimID: Int64, memberID: String, merchantID: String, orderID: String,
        currency: CurrencyCode, amountMinorUnits: Int64, orderedAtMilliseconds: Int64,
        details: String, state: ClaimState, accrualID: Int64, decidedBy: String,
        decisionReason: String, createdAtMilliseconds: Int64, decidedAtMilliseconds: Int64
    ) {
        self.claimID = claimID
        self.memberID = memberID
        self.merchantID = merchantID
        self.orderID = orderID
        self.currency = currency
        self.amountMinorUnits = amountMinorUnits
        self.orderedAtMilliseconds = orderedAtMilliseconds
        self.details = details
        self.state = state
        self.accrualID = accrualID
        self.decidedBy = decidedBy
        self.decisionReason = decisionReason
        self.createdAtMilliseconds = createdAtMilliseconds
        self.decidedAtMilliseconds = decidedAtMilliseconds
    }
}

/// What a manual balance adjustment answered.
public struct BalanceAdjustmentOutcome: Hashable, Sendable, Codable {
    /// The member's available balance right after it, in minor units.
    public var availableMinorUnits: Int64
    /// `true` if the call replayed an idempotency key: nothing was written.
    public var replayed: Bool = false

    /// Creates an outcome.
    public init(availableMinorUnits: Int64) {
        self.availableMinorUnits = availableMinorUnits
    }
}
