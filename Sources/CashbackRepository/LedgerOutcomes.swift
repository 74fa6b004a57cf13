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

/// One line of a member's history: a money movement, or an admin action on the member.
public struct HistoryEntry: Hashable, Sendable {
    /// What happened; the raw values are the journal's entry kinds and the admin actions.
    public var kind: String
    /// When, in milliseconds since the Unix epoch.
    public var atMilliseconds: Int64
    /// How the member's pending balance moved, in minor units.
    public var pendingDeltaMinorUnits: Int64
    /// How the member's available balance moved, in minor units.
    public var availableDeltaMinorUnits: Int64
    /// How the member's reserved balance moved, in minor units.
    public var reservedDeltaMinorUnits: Int64
    /// How the member's debt moved, in minor units (positive: the member owes more).
    public var debtDeltaMinorUnits: Int64
    /// How the member's expired balance moved, in minor units: up for an expiry, down for a
    /// refund that took back cashback that had expired.
    public var expiredDeltaMinorUnits: Int64
    /// The accrual it belongs to (0 if none).
    public var accrualID: Int64
    /// The accrual's merchant and order (empty if none).
    public var merchantID: String
    public var orderID: String
    /// The claim behind the accrual, or the claim an admin decided (0 if none).
    public var claimID: Int64
    /// The redemption or the withdrawal it records (0 if none).
    public var redemptionID: Int64
    public var withdrawalID: Int64
    /// Why: a refund's reason, an admin's `actor: reason`, a purchase reference, a masked
    /// payout destination, a debt payoff (may be empty).
    public var explanation: String
    /// Where the next page starts when this is the last entry of a page.
    public var cursor: String

    /// Creates an entry.
    public init(
        kind: String, atMilliseconds: Int64, pendingDeltaMinorUnits: Int64,
        availableDeltaMinorUnits: Int64, reservedDeltaMinorUnits: Int64,
        debtDeltaMinorUnits: Int64, expiredDeltaMinorUnits: Int64 = 0, accrualID: Int64,
        merchantID: String, orderID: String,
        claimID: Int64, redemptionID: Int64, withdrawalID: Int64, explanation: String,
        cursor: String
    ) {
        self.kind = kind
        self.atMilliseconds = atMilliseconds
        self.pendingDeltaMinorUnits = pendingDeltaMinorUnits
        self.availableDeltaMinorUnits = availableDeltaMinorUnits
        self.reservedDeltaMinorUnits = reservedDeltaMinorUnits
        self.debtDeltaMinorUnits = debtDeltaMinorUnits
        self.expiredDeltaMinorUnits = expiredDeltaMinorUnits
        self.accrualID = accrualID
        self.merchantID = merchantID
        self.orderID = orderID
        self.claimID = claimID
        self.redemptionID = redemptionID
        self.withdrawalID = withdrawalID
        self.explanation = explanation
        self.cursor = cursor
    }
}

/// Where a history page starts: strictly older than this point (newest first).
public struct HistoryCursor: Hashable, Sendable {
    /// The time of the last entry of the previous page.
    public var atMilliseconds: Int64
    /// 1 for a journal entry, 0 for an admin action.
    public var source: Int64
    /// The entry's or action's id.
    public var id: Int64

    /// Parses a cursor `HistoryEntry.cursor` gave; nil if it is not one.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let at = Int64(parts[0]), let source = Int64(parts[1]),
            let id = Int64(parts[2]), at >= 0, source == 0 || source == 1, id > 0,
            Self.text(atMilliseconds: at, source: source, id: id) == text
        else { return nil }
        self.atMilliseconds = at
        self.source = source
        self.id = id
    }

    /// `at.source.id`.
    public static func text(atMilliseconds: Int64, source: Int64, id: Int64) -> String {
        "\(atMilliseconds).\(source).\(id)"
    }
}

/// Totals over a time window, in one currency.
public struct StatsFigures: Hashable, Sendable {
    /// Distinct members with an accrual booked in the window.
    public var members: Int64 = 0
    /// Cashback booked as pending (gross of later refunds).
    public var accruedMinorUnits: Int64 = 0
    /// Cashback confirmed.
    public var confirmedMinorUnits: Int64 = 0
    /// Cashback cancelled.
    public var cancelledMinorUnits: Int64 = 0
    /// Cashback spent (gross of refunds of redemptions).
    public var spentMinorUnits: Int64 = 0
    /// Cashback paid out.
    public var withdrawnMinorUnits: Int64 = 0
    /// Cashback expired.
    public var expiredMinorUnits: Int64 = 0
    /// Commission booked, net of cancellations and refunds.
    public var commissionMinorUnits: Int64 = 0
    /// Margin booked (commission − cashback), net of cancellations and refunds.
    public var marginMinorUnits: Int64 = 0

    /// All zeros.
    public init() {}
}

/// `LedgerRepository.stats(currency:fromMilliseconds:toMilliseconds:)`'s answer.
public struct LedgerStats: Hashable, Sendable {
    /// Everything in the window. Spent, withdrawn and expired are member-level: they are in
    /// the total only.
    public var total: StatsFigures
    /// Per merchant with accrual activity in the window, by merchant id.
    public var merchants: [(merchantID: String, figures: StatsFigures)]

    /// Creates stats.
    public init(total: StatsFigures, merchants: [(merchantID: String, figures: StatsFigures)]) {
        self.total = total
        self.merchants = merchants
    }

    public static func == (lhs: LedgerStats, rhs: LedgerStats) -> Bool {
        lhs.total == rhs.total && lhs.merchants.map(\.merchantID) == rhs.merchants.map(\.merchantID)
            && lhs.merchants.map(\.figures) == rhs.merchants.map(\.figures)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.total)
        for merchant in self.merchants {
            hasher.combine(merchant.merchantID)
            hasher.combine(merchant.figures)
        }
    }
}
