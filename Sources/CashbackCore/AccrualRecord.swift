/// One accrual: the cashback one order earned, with its rule version locked at accrual time.
///
/// ```swift
/// if record.state == .pending { print(record.cashbackMinorUnits) }
/// ```
public struct AccrualRecord: Hashable, Sendable {
    /// The ledger's own id for the accrual, assigned on insert; never reused.
    public var accrualID: Int64
    /// The merchant that reported the order.
    public var merchantID: String
    /// The merchant's id for the order.
    public var orderID: String
    /// The member who earns the cashback.
    public var memberID: String
    /// The order's currency, which is also the cashback's.
    public var currency: CurrencyCode
    /// The eligible amount as first reported, in minor units; adjustments never change it.
    public var reportedMinorUnits: Int64
    /// The order as it is now: its lines (with what was refunded), segments and time; its
    /// `ruleVersion` is the locked version.
    public var order: OrderPricingInput
    /// How the order is priced now; its cashback and commission are the accrual's.
    public var explanation: PricingExplanation
    /// Where the accrual is in its lifecycle.
    public var state: AccrualState
    /// When the merchant's return window ends: order time + the hold locked at accrual time.
    public var holdEndsAtMilliseconds: Int64

    /// Creates an accrual record.
    public init(
        accrualID: Int64,
        merchantID: String,
        orderID: String,
        memberID: String,
        currency: CurrencyCode,
        reportedMinorUnits: Int64,
        order: OrderPricingInput,
        explanation: PricingExplanation,
        state: AccrualState,
        holdEndsAtMilliseconds: Int64
    ) {
        assert(explanation.cashbackMinorUnits >= 0)
        assert(explanation.cashbackMinorUnits <= reportedMinorUnits)
        assert(explanation.eligibleMinorUnits <= reportedMinorUnits)
        self.accrualID = accrualID
        self.merchantID = merchantID
        self.orderID = orderID
        self.memberID = memberID
        self.currency = currency
        self.reportedMinorUnits = reportedMinorUnits
        self.order = order
        self.explanation = explanation
        self.state = state
        self.holdEndsAtMilliseconds = holdEndsAtMilliseconds
    }

    /// The eligible amount left after refunds, in minor units.
    public var eligibleMinorUnits: Int64 { self.explanation.eligibleMinorUnits }
    /// The cashback the accrual holds now, in minor units.
    public var cashbackMinorUnits: Int64 { self.explanation.cashbackMinorUnits }
    /// The commission the store owes for the order now, in minor units.
    public var commissionMinorUnits: Int64 { self.explanation.commissionMinorUnits }
    /// The rule-set version that priced the accrual, locked at accrual time.
    public var ruleVersion: Int64 { self.explanation.ruleVersion }
    /// When the order was placed.
    public var orderedAtMilliseconds: Int64 { self.order.orderedAtMilliseconds }

    /// The accrual's key.
    public var orderReference: OrderReference {
        // The store only holds ids that passed the same validation.
        do {
            return try OrderReference(merchantID: self.merchantID, orderID: self.orderID)
        } catch {
            preconditionFailure("an accrual record holds valid ids: \(error)")
        }
    }
}

/// One change in an accrual's history.
public struct AccrualChange: Hashable, Sendable {
    /// What happened.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// The order was accrued (pending).
        case accrue
        /// The order was confirmed.
        case confirm
        /// The order was cancelled.
        case cancel
        /// A refund lowered the eligible amount (and perhaps the cashback).
        case adjust
    }

    /// What happened.
    public var kind: Kind
    /// When the ledger recorded it, in milliseconds since the Unix epoch.
    public var atMilliseconds: Int64
    /// The accrual's state after the change.
    public var state: AccrualState
    /// The eligible amount after the change, in minor units.
    public var eligibleMinorUnits: Int64
    /// The cashback after the change, in minor units.
    public var cashbackMinorUnits: Int64
    /// How the change moved the cashback (negative for a clawback), in minor units.
    public var cashbackDeltaMinorUnits: Int64
    /// For an adjustment after confirmation: the part of the clawback the available balance
    /// could not cover, which became debt. For a confirmation: the debt it paid off first.
    /// In minor units.
    public var debtMinorUnits: Int64
    /// The adjustment's idempotency key (empty for other kinds).
    public var idempotencyKey: String
    /// The adjustment's reason (empty for other kinds).
    public var reason: String

    /// Creates a history entry.
    public init(
        kind: Kind, atMilliseconds: Int64, state: AccrualState, eligibleMinorUnits: Int64,
        cashbackMinorUnits: Int64, cashbackDeltaMinorUnits: Int64, debtMinorUnits: Int64,
        idempotencyKey: String, reason: String
    ) {
        self.kind = kind
        self.atMilliseconds = atMilliseconds
        self.state = state
        self.eligibleMinorUnits = eligibleMinorUnits
        self.cashbackMinorUnits = cashbackMinorUnits
        self.cashbackDeltaMinorUnits = cashbackDeltaMinorUnits
        self.debtMinorUnits = debtMinorUnits
        self.idempotencyKey = idempotencyKey
        self.reason = reason
    }
}
