/// How one order was priced: the rule-set version, each line's rule and rate, and every
/// order-level rule that changed the total. Quote answers it; each accrual stores it.
public struct PricingExplanation: Hashable, Sendable, Codable {
    /// The rule-set version that priced the order.
    public var ruleVersion: Int64
    /// The order's eligible amount: the sum of what is left of its lines, in minor units.
    public var eligibleMinorUnits: Int64
    /// Each line with its rule, rate and cashback (before the cap).
    public var lines: [LinePricing]
    /// The campaign that priced the order's lines, or empty.
    public var campaignID: String
    /// `true` when the eligible amount is below the rule set's minimum order: nothing earned.
    public var belowMinimum: Bool
    /// The rule set's minimum order, in minor units (0 = none).
    public var minimumOrderMinorUnits: Int64
    /// The fixed amount added to the order, in minor units.
    public var fixedMinorUnits: Int64
    /// Lines plus the fixed amount, before the cap.
    public var uncappedMinorUnits: Int64
    /// `true` when the per-order cap lowered the cashback.
    public var capApplied: Bool
    /// The rule set's cap, in minor units (0 = none).
    public var capMinorUnits: Int64
    /// `true` when the cashback was lowered to the eligible amount (a fixed amount larger
    /// than a small order): an order never earns more than it is worth.
    public var limitedToEligible: Bool
    /// `true` when an adjustment priced the order higher than the cashback it held: an
    /// adjustment never raises cashback, so the cashback stayed where it was.
    public var keptByAdjustment: Bool
    /// The cashback, in minor units.
    public var cashbackMinorUnits: Int64
    /// The merchant's commission rate locked for the order, in basis points.
    public var commissionBasisPoints: Int64
    /// The commission the store owes for the order: `floor(eligible × rate / 10 000)`.
    public var commissionMinorUnits: Int64
    /// The program's margin, `commission − cashback`; negative for a subsidised order.
    public var marginMinorUnits: Int64
}

/// How one line was priced.
public struct LinePricing: Hashable, Sendable, Codable {
    /// The line's sku (empty for an order reported without lines).
    public var sku: String
    /// The line's category (may be empty).
    public var category: String
    /// What is left of the line after refunds, in minor units: what was priced.
    public var amountMinorUnits: Int64
    /// The part of the line refunded so far, in minor units.
    public var refundedMinorUnits: Int64
    /// The rate that priced the line, in basis points.
    public var rateBasisPoints: Int64
    /// `floor(amount × rate / 10 000)`: each line is rounded down on its own.
    public var cashbackMinorUnits: Int64
    /// The rule that set the rate: `base`, `tier:<i>` (the i-th tier, by lower bound, from 0),
    /// `category:<name>`, `campaign:<id>`, `excluded:<category>` or `minimum-order`.
    public var rule: String
    /// `true` when the line's category is excluded.
    public var excluded: Bool
}
