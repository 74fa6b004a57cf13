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

    /// Creates an explanation from its parts, as `Pricing.price(_:rules:version:commissionBasisPoints:)`
    /// made it; for a store that reads one back. Nothing is checked: the parameters are the
    /// properties of the same names.
    public init(
        ruleVersion: Int64,
        eligibleMinorUnits: Int64,
        lines: [LinePricing],
        campaignID: String,
        belowMinimum: Bool,
        minimumOrderMinorUnits: Int64,
        fixedMinorUnits: Int64,
        uncappedMinorUnits: Int64,
        capApplied: Bool,
        capMinorUnits: Int64,
        limitedToEligible: Bool,
        keptByAdjustment: Bool,
        cashbackMinorUnits: Int64,
        commissionBasisPoints: Int64,
        commissionMinorUnits: Int64,
        marginMinorUnits: Int64
    ) {
        self.ruleVersion = ruleVersion
        self.eligibleMinorUnits = eligibleMinorUnits
        self.lines = lines
        self.campaignID = campaignID
        self.belowMinimum = belowMinimum
        self.minimumOrderMinorUnits = minimumOrderMinorUnits
        self.fixedMinorUnits = fixedMinorUnits
        self.uncappedMinorUnits = uncappedMinorUnits
        self.capApplied = capApplied
        self.capMinorUnits = capMinorUnits
        self.limitedToEligible = limitedToEligible
        self.keptByAdjustment = keptByAdjustment
        self.cashbackMinorUnits = cashbackMinorUnits
        self.commissionBasisPoints = commissionBasisPoints
        self.commissionMinorUnits = commissionMinorUnits
        self.marginMinorUnits = marginMinorUnits
    }
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

    /// Creates a line's pricing from its parts; nothing is checked (see `PricingExplanation`'s
    /// `init`).
    public init(
        sku: String,
        category: String,
        amountMinorUnits: Int64,
        refundedMinorUnits: Int64,
        rateBasisPoints: Int64,
        cashbackMinorUnits: Int64,
        rule: String,
        excluded: Bool
    ) {
        self.sku = sku
        self.category = category
        self.amountMinorUnits = amountMinorUnits
        self.refundedMinorUnits = refundedMinorUnits
        self.rateBasisPoints = rateBasisPoints
        self.cashbackMinorUnits = cashbackMinorUnits
        self.rule = rule
        self.excluded = excluded
    }
}
