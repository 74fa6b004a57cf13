import CashbackCore
import Testing

/// The pricing rules as tables: precedence, rounding and every order-level limit at its
/// boundaries.
@Suite("Pricing")
struct PricingTests {
    static let bookDay: Int64 = 1_700_000_000_000

    static func rules(
        base: Int64 = 200,
        categories: [CategoryRule] = [],
        tiers: [Tier] = [],
        minimum: Int64 = 0,
        cap: Int64 = 0,
        fixed: Int64 = 0,
        campaigns: [Campaign] = []
    ) throws -> RuleSet {
        try RuleSetValidationTests.make(
            base: base, categories: categories, tiers: tiers, minimum: minimum, cap: cap,
            fixed: fixed, campaigns: campaigns)
    }

    static func order(
        _ lines: [(sku: String, category: String, amount: Int64)],
        segments: [String] = [],
        at orderedAt: Int64 = bookDay
    ) throws -> OrderPricingInput {
        try OrderPricingInput(
            amountMinorUnits: 0,
            lines: lines.map { OrderLine(sku: $0.sku, category: $0.category, amountMinorUnits: $0.amount) },
            segments: segments, orderedAtMilliseconds: orderedAt, ruleVersion: 0)
    }

    static func price(_ order: OrderPricingInput, _ rules: RuleSet, commission: Int64 = 0)
        -> PricingExplanation
    {
        Pricing.price(order, rules: rules, version: 7, commissionBasisPoints: commission)
    }

    static let campaign = Campaign(
        campaignID: "bf", startsAtMilliseconds: bookDay, endsAtMilliseconds: bookDay + 1_000,
        priority: 1, segment: "", rateBasisPoints: 1_000)

    /// One line of 10 000 in category "books", priced by each rule set in turn: each row adds
    /// the next rule of higher precedence, and that rule wins.
    static let precedence: [(String, Int64, String)] = [
        ("base", 200, "base"),
        ("tier", 300, "tier:0"),
        ("category", 400, "category:books"),
        ("campaign", 1_000, "campaign:bf"),
        ("exclusion", 0, "excluded:books"),
        ("minimum order", 0, "minimum-order"),
    ]

    @Test("precedence: minimum order > exclusion > campaign > category > tier > base", arguments: 0..<6)
    func precedenceTable(row: Int) throws {
        let (name, rate, rule) = Self.precedence[row]
        let tiers = row >= 1 ? [Tier(fromMinorUnits: 5_000, toMinorUnits: 0, rateBasisPoints: 300)] : []
        let categories =
            row >= 4
            ? [CategoryRule(category: "books", rateBasisPoints: 400, excluded: true)]
            : row >= 2 ? [CategoryRule(category: "books", rateBasisPoints: 400, excluded: false)] : []
        let campaigns = row >= 3 ? [Self.campaign] : []
        let minimum: Int64 = row >= 5 ? 10_001 : 0
        let rules = try Self.rules(
            categories: categories, tiers: tiers, minimum: minimum, campaigns: campaigns)
        let explanation = Self.price(try Self.order([("sku-1", "books", 10_000)]), rules)
        #expect(explanation.lines[0].rule == rule, "\(name)")
        #expect(explanation.lines[0].rateBasisPoints == rate, "\(name)")
        #expect(explanation.cashbackMinorUnits == 10_000 * rate / 10_000, "\(name)")
        #expect(explanation.ruleVersion == 7)
    }

    @Test("rounding is down, per line", arguments: [
        // (line amounts, rate, cashback)
        ([1_999], 500, 99), ([2_000], 500, 100), ([2_001], 500, 100), ([1], 9_999, 0),
        ([1], 10_000, 1), ([199, 199], 500, 18),  // per order it would be 19
        ([1_000_000_000_000_000], 10_000, 1_000_000_000_000_000),
        ([1_000_000_000_000_000], 1, 100_000_000_000),
    ] as [([Int64], Int64, Int64)])
    func roundingDownPerLine(amounts: [Int64], rate: Int64, cashback: Int64) throws {
        let lines = amounts.enumerated().map { ("sku-\($0.offset)", "", $0.element) }
        let explanation = Self.price(try Self.order(lines), try Self.rules(base: rate))
        #expect(explanation.cashbackMinorUnits == cashback)
        #expect(explanation.lines.map(\.cashbackMinorUnits).reduce(0, +) == cashback)
    }

    @Test("tiers: the bracket of the whole order's amount sets the rate", arguments: [
        // "3 % up to 1 000, 1 % from 10 000", base 2 %
        (999, 300, "tier:0"), (1_000, 200, "base"), (9_999, 200, "base"),
        (10_000, 100, "tier:1"), (1_000_000, 100, "tier:1"),
    ] as [(Int64, Int64, String)])
    func tierBoundaries(amount: Int64, rate: Int64, rule: String) throws {
        let rules = try Self.rules(tiers: [
            Tier(fromMinorUnits: 10_000, toMinorUnits: 0, rateBasisPoints: 100),
            Tier(fromMinorUnits: 0, toMinorUnits: 1_000, rateBasisPoints: 300),
        ])
        // Two lines: the tier follows the order's total, not each line.
        let half = amount / 2
        let explanation = Self.price(
            try Self.order([("a", "", half), ("b", "", amount - half)]), rules)
        #expect(explanation.lines.allSatisfy { $0.rateBasisPoints == rate && $0.rule == rule })
    }

    @Test("minimum order, cap, fixed amount and the eligible limit at their boundaries", arguments: [
        // (amount, minimum, cap, fixed, cashback, belowMinimum, capApplied, limited)
        (499, 500, 0, 0, 0, true, false, false),
        (500, 500, 0, 0, 10, false, false, false),
        (5_000, 0, 100, 0, 100, false, false, false),  // uncapped exactly 100: no cap
        (5_050, 0, 100, 0, 100, false, true, false),  // 101 capped to 100
        (5_000, 0, 0, 50, 150, false, false, false),  // fixed added once
        (5_000, 0, 120, 50, 120, false, true, false),  // the cap covers the fixed amount
        (100, 0, 0, 500, 100, false, false, true),  // never more than the order
        (499, 500, 0, 50, 0, true, false, false),  // below the minimum: no fixed amount
    ] as [(Int64, Int64, Int64, Int64, Int64, Bool, Bool, Bool)])
    func orderLevelLimits(
        amount: Int64, minimum: Int64, cap: Int64, fixed: Int64, cashback: Int64,
        belowMinimum: Bool, capApplied: Bool, limited: Bool
    ) throws {
        let rules = try Self.rules(minimum: minimum, cap: cap, fixed: fixed)
        let explanation = Self.price(try Self.order([("a", "", amount)]), rules, commission: 300)
        #expect(explanation.cashbackMinorUnits == cashback)
        #expect(explanation.belowMinimum == belowMinimum)
        #expect(explanation.capApplied == capApplied)
        #expect(explanation.limitedToEligible == limited)
        #expect(explanation.commissionMinorUnits == amount * 300 / 10_000)
        #expect(explanation.marginMinorUnits == explanation.commissionMinorUnits - cashback)
    }

    @Test("an order whose every line is excluded earns no fixed amount")
    func excludedOrderEarnsNoFixedAmount() throws {
        let rules = try Self.rules(
            categories: [CategoryRule(category: "gift-cards", rateBasisPoints: 0, excluded: true)],
            fixed: 300)
        let excluded = Self.price(try Self.order([("a", "gift-cards", 5_000)]), rules)
        #expect(excluded.cashbackMinorUnits == 0)
        #expect(excluded.fixedMinorUnits == 0)
        let mixed = Self.price(
            try Self.order([("a", "gift-cards", 5_000), ("b", "books", 1_000)]), rules)
        #expect(mixed.cashbackMinorUnits == 300 + 20)
        #expect(mixed.lines.map(\.excluded) == [true, false])
    }

    @Test("campaign windows are [start, end) in order time, and segments must match", arguments: [
        // (offset from start, segments, applies)
        (-1, [], false), (0, [], true), (999, [], true), (1_000, [], false),
    ] as [(Int64, [String], Bool)])
    func campaignWindow(offset: Int64, segments: [String], applies: Bool) throws {
        let rules = try Self.rules(campaigns: [Self.campaign])
        let explanation = Self.price(
            try Self.order([("a", "", 10_000)], segments: segments, at: Self.bookDay + offset),
            rules)
        #expect(explanation.campaignID == (applies ? "bf" : ""))
        #expect(explanation.cashbackMinorUnits == (applies ? 1_000 : 200))
    }

    @Test("a segment campaign applies only to orders carrying the segment; the highest priority wins")
    func segmentsAndPriority() throws {
        var vip = Self.campaign
        vip.campaignID = "vip"
        vip.segment = "vip"
        vip.priority = 5
        vip.rateBasisPoints = 1_500
        let rules = try Self.rules(campaigns: [Self.campaign, vip])
        let everyone = Self.price(try Self.order([("a", "", 10_000)]), rules)
        #expect(everyone.campaignID == "bf")
        let member = Self.price(try Self.order([("a", "", 10_000)], segments: ["new", "vip"]), rules)
        #expect(member.campaignID == "vip")
        #expect(member.cashbackMinorUnits == 1_500)
        // Segments compare byte for byte.
        let other = Self.price(try Self.order([("a", "", 10_000)], segments: ["VIP"]), rules)
        #expect(other.campaignID == "bf")
    }

    @Test("a flat rule set prices as the v1 flat rate did")
    func flat() throws {
        let explanation = Self.price(try Self.order([("a", "", 12_999)]), .flat(rateBasisPoints: 250))
        #expect(explanation.cashbackMinorUnits == 324)
        #expect(explanation.lines[0].rule == "base")
    }
}
