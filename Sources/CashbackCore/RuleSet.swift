/// A merchant's pricing rules: one immutable version of them.
///
/// Rule sets are never edited: publishing creates the next version, and every accrual locks
/// the version that priced it. `Pricing.price(_:rules:commissionBasisPoints:)` is the one
/// function that reads them; its documentation states the precedence between the rules.
///
/// Build one with `RuleSet(validating:)`, which refuses a rule set that cannot be evaluated.
public struct RuleSet: Hashable, Sendable, Codable {
    /// The rate of a line no other rule prices, in basis points.
    public var baseRateBasisPoints: Int64
    /// Per-category overrides and exclusions; categories are unique.
    public var categories: [CategoryRule]
    /// Rates by the order's eligible amount; brackets do not overlap. Sorted by `fromMinorUnits`.
    public var tiers: [Tier]
    /// Orders whose eligible amount is below this earn nothing; 0 = no minimum.
    public var minimumOrderMinorUnits: Int64
    /// The most cashback one order earns; 0 = no cap.
    public var capPerOrderMinorUnits: Int64
    /// A fixed amount added once per order that has an earning line; 0 = none.
    public var fixedPerOrderMinorUnits: Int64
    /// Time-boxed rates; priorities are unique.
    public var campaigns: [Campaign]

    /// A rule set that credits `rateBasisPoints` on every order and nothing else.
    ///
    /// - Parameter rateBasisPoints: The rate, within `LedgerLimits.shopperRateBasisPoints`.
    public static func flat(rateBasisPoints: Int64) -> RuleSet {
        precondition(LedgerLimits.shopperRateBasisPoints.contains(rateBasisPoints))
        return RuleSet(
            unvalidatedBaseRateBasisPoints: rateBasisPoints, categories: [], tiers: [],
            minimumOrderMinorUnits: 0, capPerOrderMinorUnits: 0, fixedPerOrderMinorUnits: 0,
            campaigns: [])
    }

    /// Memberwise, without checks: for `flat` and `RuleSet(validating:)` only.
    init(
        unvalidatedBaseRateBasisPoints baseRateBasisPoints: Int64,
        categories: [CategoryRule],
        tiers: [Tier],
        minimumOrderMinorUnits: Int64,
        capPerOrderMinorUnits: Int64,
        fixedPerOrderMinorUnits: Int64,
        campaigns: [Campaign]
    ) {
        self.baseRateBasisPoints = baseRateBasisPoints
        self.categories = categories
        self.tiers = tiers
        self.minimumOrderMinorUnits = minimumOrderMinorUnits
        self.capPerOrderMinorUnits = capPerOrderMinorUnits
        self.fixedPerOrderMinorUnits = fixedPerOrderMinorUnits
        self.campaigns = campaigns
    }
}

/// A rate override or an exclusion for one product category.
public struct CategoryRule: Hashable, Sendable, Codable {
    /// The category, as order lines name it (byte-wise equal).
    public var category: String
    /// The rate of the category's lines, in basis points; ignored when `excluded`.
    public var rateBasisPoints: Int64
    /// Lines of the category earn nothing, whatever else applies.
    public var excluded: Bool

    /// Creates a category rule (checked when the rule set is validated).
    public init(category: String, rateBasisPoints: Int64, excluded: Bool) {
        self.category = category
        self.rateBasisPoints = rateBasisPoints
        self.excluded = excluded
    }
}

/// A rate for orders whose eligible amount falls in `[fromMinorUnits, toMinorUnits)`.
///
/// The bracket the order's eligible amount falls in sets the rate of the whole order (not
/// marginally, slice by slice): "3 % up to 1 000, 1 % from 10 000" is two tiers,
/// `[0, 1000)` at 300 bps and `[10000, ∞)` at 100 bps; an order of 5 000 falls in neither and
/// earns the base rate.
public struct Tier: Hashable, Sendable, Codable {
    /// The bracket's inclusive lower bound, in minor units.
    public var fromMinorUnits: Int64
    /// The bracket's exclusive upper bound, in minor units; 0 = no upper bound.
    public var toMinorUnits: Int64
    /// The rate of orders in the bracket, in basis points.
    public var rateBasisPoints: Int64

    /// Creates a tier (checked when the rule set is validated).
    public init(fromMinorUnits: Int64, toMinorUnits: Int64, rateBasisPoints: Int64) {
        self.fromMinorUnits = fromMinorUnits
        self.toMinorUnits = toMinorUnits
        self.rateBasisPoints = rateBasisPoints
    }

    /// Whether `amount` falls in the bracket.
    public func contains(_ amount: Int64) -> Bool {
        amount >= self.fromMinorUnits && (self.toMinorUnits == 0 || amount < self.toMinorUnits)
    }
}

/// A rate in force for orders placed in `[startsAtMilliseconds, endsAtMilliseconds)`,
/// optionally only for members of one segment.
public struct Campaign: Hashable, Sendable, Codable {
    /// The campaign's id, shown in explanations.
    public var campaignID: String
    /// The window's inclusive start, in milliseconds since the Unix epoch (order time).
    public var startsAtMilliseconds: Int64
    /// The window's exclusive end, in milliseconds since the Unix epoch (order time).
    public var endsAtMilliseconds: Int64
    /// Among campaigns that apply to an order, the highest priority wins; priorities are
    /// unique within a rule set.
    public var priority: Int64
    /// Only orders that carry this member segment; empty = every member.
    public var segment: String
    /// The rate of the order's lines, in basis points.
    public var rateBasisPoints: Int64

    /// Creates a campaign (checked when the rule set is validated).
    public init(
        campaignID: String, startsAtMilliseconds: Int64, endsAtMilliseconds: Int64,
        priority: Int64, segment: String, rateBasisPoints: Int64
    ) {
        self.campaignID = campaignID
        self.startsAtMilliseconds = startsAtMilliseconds
        self.endsAtMilliseconds = endsAtMilliseconds
        self.priority = priority
        self.segment = segment
        self.rateBasisPoints = rateBasisPoints
    }

    /// Whether the campaign applies to an order placed at `orderedAt` by a member in
    /// `segments`. Segments compare byte-wise, as ids do.
    public func applies(orderedAtMilliseconds orderedAt: Int64, segments: [String]) -> Bool {
        guard orderedAt >= self.startsAtMilliseconds, orderedAt < self.endsAtMilliseconds else {
            return false
        }
        return self.segment.isEmpty
            || segments.contains { $0.utf8.elementsEqual(self.segment.utf8) }
    }
}
