/// One line of an order: what was bought, in which category, for how much.
///
/// ```swift
/// let line = OrderLine(sku: "sku-1", category: "books", amountMinorUnits: 2_500)
/// ```
public struct OrderLine: Hashable, Sendable, Codable {
    /// The line's product id, unique within the order; refunds name lines by it.
    public var sku: String
    /// The product category that category rules match (byte-wise); empty = none.
    public var category: String
    /// The line's eligible amount as reported, in minor units.
    public var amountMinorUnits: Int64
    /// The part of the amount refunded since, in minor units (`0...amountMinorUnits`).
    public var refundedMinorUnits: Int64

    /// Creates a line (validated by `OrderPricingInput`).
    public init(sku: String, category: String, amountMinorUnits: Int64, refundedMinorUnits: Int64 = 0)
    {
        self.sku = sku
        self.category = category
        self.amountMinorUnits = amountMinorUnits
        self.refundedMinorUnits = refundedMinorUnits
    }

    /// What is left of the line after refunds: the amount that earns cashback.
    public var remainingMinorUnits: Int64 {
        assert(self.refundedMinorUnits >= 0 && self.refundedMinorUnits <= self.amountMinorUnits)
        return self.amountMinorUnits - self.refundedMinorUnits
    }
}

/// What the pricing of one order needs, validated: its lines, the member's segments, when it
/// was placed, and which rule-set version to use.
///
/// An order reported without lines is priced as one line with an empty sku and category
/// holding the whole amount, so that every order has lines.
public struct OrderPricingInput: Hashable, Sendable, Codable {
    /// The order's lines (at least one).
    public let lines: [OrderLine]
    /// The member's segments, matched against campaign segments.
    public let segments: [String]
    /// When the order was placed, in milliseconds since the Unix epoch.
    public let orderedAtMilliseconds: Int64
    /// The rule-set version to price with; 0 = the latest when the command runs.
    public let ruleVersion: Int64

    /// Validates the order's pricing fields.
    ///
    /// - Parameters:
    ///   - amountMinorUnits: The eligible amount. Without lines: 1...10^15. With lines: 0 or
    ///     exactly the sum of the lines' amounts.
    ///   - lines: Up to `LedgerLimits.orderLinesMax` lines with unique skus, each 1...10^15.
    ///   - segments: Up to `LedgerLimits.orderSegmentsMax` identifiers.
    ///   - orderedAtMilliseconds: Milliseconds since the epoch (`LedgerLimits`).
    ///   - ruleVersion: 0 for the latest, or a published version.
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the field.
    public init(
        amountMinorUnits: Int64,
        lines: [OrderLine],
        segments: [String],
        orderedAtMilliseconds: Int64,
        ruleVersion: Int64
    ) throws(LedgerRejection) {
        if lines.isEmpty {
            try FieldValidation.integer(
                amountMinorUnits, field: "amountMinor", range: LedgerLimits.eligibleMinorUnits,
                unit: "minor units")
            self.lines = [OrderLine(sku: "", category: "", amountMinorUnits: amountMinorUnits)]
        } else {
            let total = try Self.checkLines(lines)
            guard amountMinorUnits == 0 || amountMinorUnits == total else {
                throw LedgerRejection(
                    .invalidArgument,
                    "amountMinor \(amountMinorUnits) differs from the sum of the lines, "
                        + "\(total); send 0 or the sum")
            }
            self.lines = lines.map {
                OrderLine(sku: $0.sku, category: $0.category, amountMinorUnits: $0.amountMinorUnits)
            }
        }
        guard segments.count <= LedgerLimits.orderSegmentsMax else {
            throw LedgerRejection(
                .invalidArgument,
                "segments has \(segments.count) entries; at most \(LedgerLimits.orderSegmentsMax)")
        }
        for (index, segment) in segments.enumerated() {
            try FieldValidation.identifier(segment, field: "segments[\(index)]")
        }
        try FieldValidation.integer(
            orderedAtMilliseconds, field: "orderedAtMs", range: LedgerLimits.orderedAtMilliseconds,
            unit: "milliseconds since the Unix epoch")
        try FieldValidation.integer(
            ruleVersion, field: "ruleVersion", range: LedgerLimits.ruleVersion,
            unit: "(0 = the latest)")
        self.segments = segments
        self.orderedAtMilliseconds = orderedAtMilliseconds
        self.ruleVersion = ruleVersion
    }

    /// The lines' total, after checking each line; refuses overflow and duplicate skus.
    private static func checkLines(_ lines: [OrderLine]) throws(LedgerRejection) -> Int64 {
        guard lines.count <= LedgerLimits.orderLinesMax else {
            throw LedgerRejection(
                .invalidArgument,
                "lines has \(lines.count) entries; at most \(LedgerLimits.orderLinesMax)")
        }
        var total: Int64 = 0
        var skus: [[UInt8]: Int] = [:]
        for (index, line) in lines.enumerated() {
            let field = "lines[\(index)]"
            try FieldValidation.identifier(line.sku, field: "\(field).sku")
            if !line.category.isEmpty {
                try FieldValidation.identifier(line.category, field: "\(field).category")
            }
            try FieldValidation.integer(
                line.amountMinorUnits, field: "\(field).amountMinor",
                range: LedgerLimits.eligibleMinorUnits, unit: "minor units")
            try FieldValidation.unique(line.sku, at: index, in: &skus, field: "lines")
            let (sum, overflow) = total.addingReportingOverflow(line.amountMinorUnits)
            guard !overflow, LedgerLimits.eligibleMinorUnits.contains(sum) else {
                throw LedgerRejection(
                    .invalidArgument,
                    "the lines sum to more than \(LedgerLimits.eligibleMinorUnits.upperBound) "
                        + "minor units")
            }
            total = sum
        }
        return total
    }

    /// The order's eligible amount: the sum of what is left of its lines.
    public var eligibleMinorUnits: Int64 {
        self.lines.reduce(0) { $0 + $1.remainingMinorUnits }
    }

    /// The same order with other lines (after a refund), keeping everything else.
    public func replacingLines(_ lines: [OrderLine]) -> OrderPricingInput {
        OrderPricingInput(
            lines: lines, segments: self.segments,
            orderedAtMilliseconds: self.orderedAtMilliseconds, ruleVersion: self.ruleVersion)
    }

    fileprivate init(
        lines: [OrderLine], segments: [String], orderedAtMilliseconds: Int64, ruleVersion: Int64
    ) {
        self.lines = lines
        self.segments = segments
        self.orderedAtMilliseconds = orderedAtMilliseconds
        self.ruleVersion = ruleVersion
    }
}

extension OrderPricingInput {
    /// Whether the order was reported with lines (otherwise it holds one implicit line with an
    /// empty sku; reported skus are never empty).
    public var hasReportedLines: Bool {
        !(self.lines.count == 1 && self.lines[0].sku.isEmpty)
    }
}

extension OrderPricingInput {
    /// The same order with `ruleVersion` set: the version an accrual locked.
    public func replacingRuleVersion(_ version: Int64) -> OrderPricingInput {
        OrderPricingInput(
            lines: self.lines, segments: self.segments,
            orderedAtMilliseconds: self.orderedAtMilliseconds, ruleVersion: version)
    }
}
