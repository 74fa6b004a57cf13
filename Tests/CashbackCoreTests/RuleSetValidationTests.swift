import CashbackCore
import Testing

/// Rule sets that cannot be evaluated are refused at publication, naming the rule and why.
@Suite("RuleSet validation")
struct RuleSetValidationTests {
    static func make(
        base: Int64 = 200,
        categories: [CategoryRule] = [],
        tiers: [Tier] = [],
        minimum: Int64 = 0,
        cap: Int64 = 0,
        fixed: Int64 = 0,
        campaigns: [Campaign] = []
    ) throws(LedgerRejection) -> RuleSet {
        try RuleSet(
            validating: base, categories: categories, tiers: tiers,
            minimumOrderMinorUnits: minimum, capPerOrderMinorUnits: cap,
            fixedPerOrderMinorUnits: fixed, campaigns: campaigns)
    }

    static func campaign(_ id: String, _ start: Int64, _ end: Int64, priority: Int64 = 1)
        -> Campaign
    {
        Campaign(
            campaignID: id, startsAtMilliseconds: start, endsAtMilliseconds: end,
            priority: priority, segment: "", rateBasisPoints: 100)
    }

    @Test("refused rule sets name the rule and the reason")
    func refused() {
        let cases: [(LedgerRejection?, String)] = [
            (rejection { try Self.make(base: 10_001) }, "rules.baseRateBps must be 0...10000"),
            (rejection { try Self.make(cap: -1) }, "rules.capPerOrderMinor is -1: it must not be below zero"),
            (rejection { try Self.make(minimum: -5) }, "rules.minimumOrderMinor is -5"),
            (rejection { try Self.make(fixed: -1) }, "rules.fixedPerOrderMinor is -1"),
            (
                rejection {
                    try Self.make(tiers: [
                        Tier(fromMinorUnits: 0, toMinorUnits: 1_000, rateBasisPoints: 300),
                        Tier(fromMinorUnits: 500, toMinorUnits: 2_000, rateBasisPoints: 100),
                    ])
                },
                "rules.tiers[1]: bracket [500, 2000) overlaps rules.tiers[0] [0, 1000)"
            ),
            (
                rejection {
                    try Self.make(tiers: [
                        Tier(fromMinorUnits: 5_000, toMinorUnits: 6_000, rateBasisPoints: 300),
                        Tier(fromMinorUnits: 0, toMinorUnits: 0, rateBasisPoints: 100),
                    ])
                },
                "rules.tiers[0]: bracket [5000, 6000) overlaps rules.tiers[1] [0, ∞)"
            ),
            (
                rejection {
                    try Self.make(tiers: [Tier(fromMinorUnits: 10, toMinorUnits: 10, rateBasisPoints: 1)])
                },
                "rules.tiers[0]: bracket [10, 10) is empty"
            ),
            (
                rejection {
                    try Self.make(categories: [
                        CategoryRule(category: "books", rateBasisPoints: 1, excluded: false),
                        CategoryRule(category: "books", rateBasisPoints: 2, excluded: true),
                    ])
                },
                "rules.categories[1]: category 'books' is already ruled by rules.categories[0]"
            ),
            (
                rejection {
                    try Self.make(categories: [
                        CategoryRule(category: "home garden", rateBasisPoints: 1, excluded: false)
                    ])
                },
                "rules.categories[0].category must not contain whitespace"
            ),
            (
                rejection { try Self.make(campaigns: [Self.campaign("bf", 2_000, 2_000)]) },
                "rules.campaigns[0]: window [2000, 2000) is empty"
            ),
            (
                rejection { try Self.make(campaigns: [Self.campaign("bf", 2_000, 1_000)]) },
                "rules.campaigns[0]: window [2000, 1000) is empty"
            ),
            (
                rejection {
                    try Self.make(campaigns: [
                        Self.campaign("a", 0, 10), Self.campaign("b", 0, 10, priority: 1),
                    ])
                },
                "rules.campaigns[1]: priority 1 is already used by rules.campaigns[0]"
            ),
            (
                rejection {
                    try Self.make(campaigns: [
                        Self.campaign("a", 0, 10), Self.campaign("a", 0, 10, priority: 2),
                    ])
                },
                "rules.campaigns[1]: campaignId 'a' is already used by rules.campaigns[0]"
            ),
            (
                rejection {
                    try Self.make(tiers: Array(
                        repeating: Tier(fromMinorUnits: 0, toMinorUnits: 1, rateBasisPoints: 1),
                        count: LedgerLimits.ruleTiersMax + 1))
                },
                "rules.tiers has 33 rules; at most 32"
            ),
        ]
        for (rejection, prefix) in cases {
            #expect(rejection?.code == .invalidArgument, "\(prefix)")
            #expect(rejection?.message.hasPrefix(prefix) == true, "\(rejection?.message ?? "nil")")
        }
    }

    @Test("accepted: adjacent tiers, gaps, an unbounded last tier, the limits themselves")
    func accepted() throws {
        let rules = try Self.make(
            base: 10_000,
            tiers: [
                Tier(fromMinorUnits: 10_000, toMinorUnits: 0, rateBasisPoints: 100),
                Tier(fromMinorUnits: 1_000, toMinorUnits: 10_000, rateBasisPoints: 200),
                Tier(fromMinorUnits: 0, toMinorUnits: 500, rateBasisPoints: 300),
            ],
            minimum: 1_000_000_000_000_000, cap: 0, fixed: 0,
            campaigns: [Self.campaign("a", 0, 1), Self.campaign("b", 0, 253_402_300_799_999, priority: 2)])
        // Stored sorted by lower bound, so that `tier:<i>` names are stable.
        #expect(rules.tiers.map(\.fromMinorUnits) == [0, 1_000, 10_000])
    }
}
