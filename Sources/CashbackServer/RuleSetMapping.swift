import CashbackAPI
import CashbackCore

/// Rule sets between the wire (`CashbackV1.RuleSet`) and the domain (`CashbackCore.RuleSet`).
enum RuleSetMapping {
    /// The validated domain rule set a request carries.
    static func domain(_ wire: CashbackV1.RuleSet) throws(LedgerRejection) -> RuleSet {
        try RuleSet(
            validating: Int64(wire.baseRateBps),
            categories: wire.categories.map {
                CategoryRule(
                    category: $0.category, rateBasisPoints: Int64($0.rateBps),
                    excluded: $0.excluded)
            },
            tiers: wire.tiers.map {
                Tier(
                    fromMinorUnits: $0.fromMinor, toMinorUnits: $0.toMinor,
                    rateBasisPoints: Int64($0.rateBps))
            },
            minimumOrderMinorUnits: wire.minimumOrderMinor,
            capPerOrderMinorUnits: wire.capPerOrderMinor,
            fixedPerOrderMinorUnits: wire.fixedPerOrderMinor,
            campaigns: wire.campaigns.map {
                Campaign(
                    campaignID: $0.campaignID, startsAtMilliseconds: $0.startsAtMs,
                    endsAtMilliseconds: $0.endsAtMs, priority: Int64($0.priority),
                    segment: $0.segment, rateBasisPoints: Int64($0.rateBps))
            })
    }

    /// A stored rule set on the wire. Rates and priorities were validated on publication, so
    /// they fit their `uint32` fields.
    static func wire(_ rules: RuleSet) -> CashbackV1.RuleSet {
        CashbackV1.RuleSet(
            baseRateBps: UInt32(rules.baseRateBasisPoints),
            categories: rules.categories.map {
                CashbackV1.CategoryRule(
                    category: $0.category, rateBps: UInt32($0.rateBasisPoints),
                    excluded: $0.excluded)
            },
            tiers: rules.tiers.map {
                CashbackV1.Tier(
                    fromMinor: $0.fromMinorUnits, toMinor: $0.toMinorUnits,
                    rateBps: UInt32($0.rateBasisPoints))
            },
            minimumOrderMinor: rules.minimumOrderMinorUnits,
            capPerOrderMinor: rules.capPerOrderMinorUnits,
            fixedPerOrderMinor: rules.fixedPerOrderMinorUnits,
            campaigns: rules.campaigns.map {
                CashbackV1.Campaign(
                    campaignID: $0.campaignID, startsAtMs: $0.startsAtMilliseconds,
                    endsAtMs: $0.endsAtMilliseconds, priority: UInt32($0.priority),
                    segment: $0.segment, rateBps: UInt32($0.rateBasisPoints))
            })
    }

    /// A pricing explanation on the wire.
    static func wire(_ explanation: PricingExplanation) -> CashbackV1.Pricing {
        CashbackV1.Pricing(
            ruleVersion: explanation.ruleVersion,
            eligibleMinor: explanation.eligibleMinorUnits,
            lines: explanation.lines.map {
                CashbackV1.LinePricing(
                    sku: $0.sku, category: $0.category, amountMinor: $0.amountMinorUnits,
                    refundedMinor: $0.refundedMinorUnits, rateBps: UInt32($0.rateBasisPoints),
                    cashbackMinor: $0.cashbackMinorUnits, rule: $0.rule, excluded: $0.excluded)
            },
            campaignID: explanation.campaignID,
            belowMinimum: explanation.belowMinimum,
            minimumOrderMinor: explanation.minimumOrderMinorUnits,
            fixedMinor: explanation.fixedMinorUnits,
            uncappedMinor: explanation.uncappedMinorUnits,
            capApplied: explanation.capApplied,
            capMinor: explanation.capMinorUnits,
            limitedToEligible: explanation.limitedToEligible,
            keptByAdjustment: explanation.keptByAdjustment,
            cashbackMinor: explanation.cashbackMinorUnits,
            commissionBps: UInt32(explanation.commissionBasisPoints),
            commissionMinor: explanation.commissionMinorUnits,
            marginMinor: explanation.marginMinorUnits)
    }

    /// Order lines from the wire (validated by the command they go into).
    static func lines(_ wire: [CashbackV1.OrderLine]) -> [OrderLine] {
        wire.map { OrderLine(sku: $0.sku, category: $0.category, amountMinorUnits: $0.amountMinor) }
    }
}
