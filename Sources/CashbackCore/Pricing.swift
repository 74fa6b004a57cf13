/// The one function that prices an order. Quote and Accrue call it, Adjust calls it again
/// with the accrual's own rule version, and Verify calls it to check every accrual.
///
/// ## Precedence
///
/// Order-level, first:
/// 1. **Minimum order.** An order whose eligible amount is below `minimumOrderMinorUnits`
///    earns nothing, whatever else applies (every line: rule `minimum-order`, rate 0).
///
/// Then each line's rate, the first rule that matches:
/// 1. **Exclusion**: the line's category is excluded → rate 0 (`excluded:<category>`);
///    exclusions beat campaigns.
/// 2. **Campaign**: the campaign with the highest priority whose window `[start, end)` holds
///    the order time and whose segment is empty or among the order's segments
///    (`campaign:<id>`).
/// 3. **Category override**: the line's category has a rate (`category:<name>`).
/// 4. **Tier**: the bracket the order's eligible amount (the whole order, not the line) falls
///    in (`tier:<i>`).
/// 5. **Base rate** (`base`).
///
/// Then the order's total:
/// 1. Each line earns `floor(amount × rate / 10 000)`: **rounding is down, per line**; the
///    fraction of a minor unit stays with the books.
/// 2. **Fixed amount**: `fixedPerOrderMinorUnits` is added once if any line is not excluded
///    and has an amount left.
/// 3. **Cap**: the total is lowered to `capPerOrderMinorUnits` (when not 0).
/// 4. **Eligible amount**: the total never exceeds the order's eligible amount.
///
/// Commission is `floor(eligible × commission rate / 10 000)`, per order; the margin is
/// commission − cashback and may be negative.
public enum Pricing {
    /// Prices `order` with `rules` (version `version`) and the merchant's commission rate.
    ///
    /// ```swift
    /// let explanation = Pricing.price(order, rules: rules, version: 3, commissionBasisPoints: 400)
    /// print(explanation.cashbackMinorUnits)
    /// ```
    ///
    /// - Parameters:
    ///   - order: The validated order.
    ///   - rules: A validated rule set.
    ///   - version: The rule set's version, recorded in the explanation.
    ///   - commissionBasisPoints: The merchant's commission rate, 0...10 000.
    /// - Returns: The explanation; its `cashbackMinorUnits` is the order's cashback.
    public static func price(
        _ order: OrderPricingInput,
        rules: RuleSet,
        version: Int64,
        commissionBasisPoints: Int64
    ) -> PricingExplanation {
        let eligible = order.eligibleMinorUnits
        let belowMinimum = eligible < rules.minimumOrderMinorUnits
        let campaign = Self.winningCampaign(rules, order)
        let tierIndex = rules.tiers.firstIndex { $0.contains(eligible) }

        let lines = order.lines.map { line -> LinePricing in
            let (rate, rule, excluded) = Self.rate(
                of: line, rules: rules, belowMinimum: belowMinimum, campaign: campaign,
                tierIndex: tierIndex)
            return LinePricing(
                sku: line.sku, category: line.category, amountMinorUnits: line.remainingMinorUnits,
                refundedMinorUnits: line.refundedMinorUnits, rateBasisPoints: rate,
                cashbackMinorUnits: Cashback.amountMinorUnits(
                    eligibleMinorUnits: line.remainingMinorUnits, rateBasisPoints: rate),
                rule: rule, excluded: excluded)
        }
        let earns = !belowMinimum && lines.contains { !$0.excluded && $0.amountMinorUnits > 0 }
        // The campaign is named wherever it set a line's rate, even on a line refunded to 0.
        let campaignPriced = !belowMinimum && lines.contains { !$0.excluded }
        let fixed = earns ? rules.fixedPerOrderMinorUnits : 0
        // Each line's cashback is at most its amount, and the amounts sum to at most 10^15;
        // the fixed amount is at most 10^15 too: the sum stays far below `Int64.max`.
        let uncapped = lines.reduce(fixed) { $0 + $1.cashbackMinorUnits }
        let cap = rules.capPerOrderMinorUnits
        let capApplied = cap > 0 && uncapped > cap
        let capped = capApplied ? cap : uncapped
        let limitedToEligible = capped > eligible
        let cashback = min(capped, eligible)
        let commission = Cashback.amountMinorUnits(
            eligibleMinorUnits: eligible, rateBasisPoints: commissionBasisPoints)

        assert(cashback >= 0 && cashback <= eligible)
        return PricingExplanation(
            ruleVersion: version, eligibleMinorUnits: eligible, lines: lines,
            campaignID: (campaignPriced ? campaign?.campaignID : nil) ?? "",
            belowMinimum: belowMinimum,
            minimumOrderMinorUnits: rules.minimumOrderMinorUnits, fixedMinorUnits: fixed,
            uncappedMinorUnits: uncapped, capApplied: capApplied, capMinorUnits: cap,
            limitedToEligible: limitedToEligible, keptByAdjustment: false,
            cashbackMinorUnits: cashback, commissionBasisPoints: commissionBasisPoints,
            commissionMinorUnits: commission, marginMinorUnits: commission - cashback)
    }

    /// The campaign that prices the order: the highest priority among those that apply.
    static func winningCampaign(_ rules: RuleSet, _ order: OrderPricingInput) -> Campaign? {
        rules.campaigns
            .filter { $0.applies(orderedAtMilliseconds: order.orderedAtMilliseconds, segments: order.segments) }
            .max { $0.priority < $1.priority }
    }

    /// A line's rate, the rule that set it, and whether it is excluded (see the precedence).
    static func rate(
        of line: OrderLine,
        rules: RuleSet,
        belowMinimum: Bool,
        campaign: Campaign?,
        tierIndex: Int?
    ) -> (rate: Int64, rule: String, excluded: Bool) {
        if belowMinimum {
            return (0, "minimum-order", false)
        }
        let categoryRule = line.category.isEmpty
            ? nil
            : rules.categories.first { $0.category.utf8.elementsEqual(line.category.utf8) }
        if let categoryRule, categoryRule.excluded {
            return (0, "excluded:\(categoryRule.category)", true)
        }
        if let campaign {
            return (campaign.rateBasisPoints, "campaign:\(campaign.campaignID)", false)
        }
        if let categoryRule {
            return (categoryRule.rateBasisPoints, "category:\(categoryRule.category)", false)
        }
        if let tierIndex {
            return (rules.tiers[tierIndex].rateBasisPoints, "tier:\(tierIndex)", false)
        }
        return (rules.baseRateBasisPoints, "base", false)
    }
}
