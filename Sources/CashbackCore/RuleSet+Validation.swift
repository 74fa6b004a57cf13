extension RuleSet {
    /// Validates a rule set before it is published: a rule set that cannot be evaluated is
    /// refused with the rule at fault and the reason.
    ///
    /// Refused: rates outside 0...10 000 bps; amounts below zero or above 10^15 (a negative
    /// minimum order, cap or fixed amount); more than `LedgerLimits.rule…Max` rules; a
    /// category named twice or not an identifier; an empty tier (`to <= from`) or two tiers
    /// whose brackets overlap; a campaign with an empty window (`end <= start`), an id or a
    /// priority used twice.
    ///
    /// ```swift
    /// let rules = try RuleSet(
    ///     validating: 200, categories: [], tiers: [
    ///         Tier(fromMinorUnits: 0, toMinorUnits: 1_000, rateBasisPoints: 300),
    ///         Tier(fromMinorUnits: 10_000, toMinorUnits: 0, rateBasisPoints: 100),
    ///     ], minimumOrderMinorUnits: 0, capPerOrderMinorUnits: 0, fixedPerOrderMinorUnits: 0,
    ///     campaigns: [])
    /// ```
    ///
    /// - Throws: `LedgerRejection` with code `.invalidArgument`, naming the rule as the JSON
    ///   path of the request (`rules.tiers[1]`).
    public init(
        validating baseRateBasisPoints: Int64,
        categories: [CategoryRule],
        tiers: [Tier],
        minimumOrderMinorUnits: Int64,
        capPerOrderMinorUnits: Int64,
        fixedPerOrderMinorUnits: Int64,
        campaigns: [Campaign]
    ) throws(LedgerRejection) {
        try Self.checkRate(baseRateBasisPoints, "rules.baseRateBps")
        try Self.checkCategories(categories)
        try Self.checkTiers(tiers)
        try Self.checkAmount(minimumOrderMinorUnits, "rules.minimumOrderMinor")
        try Self.checkAmount(capPerOrderMinorUnits, "rules.capPerOrderMinor")
        try Self.checkAmount(fixedPerOrderMinorUnits, "rules.fixedPerOrderMinor")
        try Self.checkCampaigns(campaigns)
        self.init(
            unvalidatedBaseRateBasisPoints: baseRateBasisPoints,
            categories: categories,
            tiers: tiers.sorted { $0.fromMinorUnits < $1.fromMinorUnits },
            minimumOrderMinorUnits: minimumOrderMinorUnits,
            capPerOrderMinorUnits: capPerOrderMinorUnits,
            fixedPerOrderMinorUnits: fixedPerOrderMinorUnits,
            campaigns: campaigns
        )
    }

    private static func checkRate(_ rate: Int64, _ field: String) throws(LedgerRejection) {
        try FieldValidation.integer(
            rate, field: field, range: LedgerLimits.shopperRateBasisPoints, unit: "basis points")
    }

    private static func checkAmount(_ amount: Int64, _ field: String) throws(LedgerRejection) {
        guard amount >= 0 else {
            throw LedgerRejection(.invalidArgument, "\(field) is \(amount): it must not be below zero")
        }
        try FieldValidation.integer(
            amount, field: field, range: LedgerLimits.ruleAmountMinorUnits, unit: "minor units")
    }

    private static func checkCount(_ count: Int, _ field: String, max: Int) throws(LedgerRejection)
    {
        guard count <= max else {
            throw LedgerRejection(.invalidArgument, "\(field) has \(count) rules; at most \(max)")
        }
    }

    private static func checkCategories(_ categories: [CategoryRule]) throws(LedgerRejection) {
        try Self.checkCount(categories.count, "rules.categories", max: LedgerLimits.ruleCategoriesMax)
        var seen: [[UInt8]: Int] = [:]
        for (index, rule) in categories.enumerated() {
            let field = "rules.categories[\(index)]"
            try FieldValidation.identifier(rule.category, field: "\(field).category")
            try Self.checkRate(rule.rateBasisPoints, "\(field).rateBps")
            // Byte-wise, as the ledger compares ids (Swift's `==` is canonical equivalence).
            let bytes = Array(rule.category.utf8)
            if let first = seen[bytes] {
                throw LedgerRejection(
                    .invalidArgument,
                    "\(field): category '\(rule.category)' is already ruled by "
                        + "rules.categories[\(first)]; a category has one rule")
            }
            seen[bytes] = index
        }
    }

    private static func checkTiers(_ tiers: [Tier]) throws(LedgerRejection) {
        try Self.checkCount(tiers.count, "rules.tiers", max: LedgerLimits.ruleTiersMax)
        for (index, tier) in tiers.enumerated() {
            let field = "rules.tiers[\(index)]"
            try Self.checkAmount(tier.fromMinorUnits, "\(field).fromMinor")
            try Self.checkAmount(tier.toMinorUnits, "\(field).toMinor")
            try Self.checkRate(tier.rateBasisPoints, "\(field).rateBps")
            guard tier.toMinorUnits == 0 || tier.toMinorUnits > tier.fromMinorUnits else {
                throw LedgerRejection(
                    .invalidArgument,
                    "\(field): bracket \(Self.bracket(tier)) is empty; toMinor must be above "
                        + "fromMinor, or 0 for no upper bound")
            }
        }
        let sorted = tiers.indices.sorted { tiers[$0].fromMinorUnits < tiers[$1].fromMinorUnits }
        for (lower, upper) in zip(sorted, sorted.dropFirst()) {
            let below = tiers[lower]
            let above = tiers[upper]
            if below.toMinorUnits == 0 || below.toMinorUnits > above.fromMinorUnits {
                throw LedgerRejection(
                    .invalidArgument,
                    "rules.tiers[\(upper)]: bracket \(Self.bracket(above)) overlaps "
                        + "rules.tiers[\(lower)] \(Self.bracket(below)); brackets must not "
                        + "overlap")
            }
        }
    }

    private static func bracket(_ tier: Tier) -> String {
        "[\(tier.fromMinorUnits), \(tier.toMinorUnits == 0 ? "∞" : String(tier.toMinorUnits)))"
    }

    private static func checkCampaigns(_ campaigns: [Campaign]) throws(LedgerRejection) {
        try Self.checkCount(campaigns.count, "rules.campaigns", max: LedgerLimits.ruleCampaignsMax)
        var ids: [[UInt8]: Int] = [:]
        var priorities: [Int64: Int] = [:]
        for (index, campaign) in campaigns.enumerated() {
            let field = "rules.campaigns[\(index)]"
            try FieldValidation.identifier(campaign.campaignID, field: "\(field).campaignId")
            if !campaign.segment.isEmpty {
                try FieldValidation.identifier(campaign.segment, field: "\(field).segment")
            }
            try FieldValidation.integer(
                campaign.startsAtMilliseconds, field: "\(field).startsAtMs",
                range: LedgerLimits.campaignMilliseconds, unit: "milliseconds since the Unix epoch")
            try FieldValidation.integer(
                campaign.endsAtMilliseconds, field: "\(field).endsAtMs",
                range: LedgerLimits.campaignMilliseconds, unit: "milliseconds since the Unix epoch")
            guard campaign.endsAtMilliseconds > campaign.startsAtMilliseconds else {
                throw LedgerRejection(
                    .invalidArgument,
                    "\(field): window [\(campaign.startsAtMilliseconds), "
                        + "\(campaign.endsAtMilliseconds)) is empty; endsAtMs must be after "
                        + "startsAtMs")
            }
            try Self.checkRate(campaign.rateBasisPoints, "\(field).rateBps")
            let id = Array(campaign.campaignID.utf8)
            if let first = ids[id] {
                throw LedgerRejection(
                    .invalidArgument,
                    "\(field): campaignId '\(campaign.campaignID)' is already used by "
                        + "rules.campaigns[\(first)]")
            }
            ids[id] = index
            if let first = priorities[campaign.priority] {
                throw LedgerRejection(
                    .invalidArgument,
                    "\(field): priority \(campaign.priority) is already used by "
                        + "rules.campaigns[\(first)]; priorities must be unique so that one "
                        + "campaign wins")
            }
            priorities[campaign.priority] = index
        }
    }
}
