/// A validated partial (or full) refund of an accrued order.
///
/// The cashback is priced again with the accrual's own rule version over what is left of the
/// order, and never rises: `new cashback = min(current cashback, price(what is left))`. Keyed
/// by `idempotencyKey`, so a replay changes nothing.
///
/// ```swift
/// let adjust = try AdjustCommand(
///     merchantID: "shop-1", orderID: "order-42", idempotencyKey: "refund-1",
///     change: .newAmount(minorUnits: 9_000), reason: "returned one item")
/// ```
public struct AdjustCommand: Hashable, Sendable, Codable {
    /// What the refund changes.
    public enum Change: Hashable, Sendable, Codable {
        /// The order's new eligible amount (orders reported without lines).
        case newAmount(minorUnits: Int64)
        /// Amounts refunded from named lines (orders reported with lines).
        case refundedLines([RefundedLine])
        /// Everything is refunded: the eligible amount becomes 0.
        case fullRefund
    }

    /// The merchant of the order.
    public let merchantID: String
    /// The order.
    public let orderID: String
    /// The caller's key for this adjustment.
    public let idempotencyKey: IdempotencyKey
    /// What the refund changes.
    public let change: Change
    /// Why, kept in the accrual's history (0...500 UTF-8 bytes).
    public let reason: String

    /// Validates the request; exactly one of `newAmountMinorUnits` (> 0), `refundedLines`
    /// (non-empty) or `fullRefund` must be given.
    ///
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the field.
    public init(
        merchantID: String,
        orderID: String,
        idempotencyKey: String,
        newAmountMinorUnits: Int64 = 0,
        refundedLines: [RefundedLine] = [],
        fullRefund: Bool = false,
        reason: String = ""
    ) throws(LedgerRejection) {
        try FieldValidation.identifier(merchantID, field: "merchantId")
        try FieldValidation.identifier(orderID, field: "orderId")
        self.idempotencyKey = try IdempotencyKey(validating: idempotencyKey)
        let forms = [newAmountMinorUnits != 0, !refundedLines.isEmpty, fullRefund]
        guard forms.filter({ $0 }).count == 1 else {
            throw LedgerRejection(
                .invalidArgument,
                "send exactly one of newAmountMinor (1 or more), refundedLines or fullRefund: true")
        }
        if fullRefund {
            self.change = .fullRefund
        } else if refundedLines.isEmpty {
            try FieldValidation.integer(
                newAmountMinorUnits, field: "newAmountMinor",
                range: LedgerLimits.eligibleMinorUnits, unit: "minor units")
            self.change = .newAmount(minorUnits: newAmountMinorUnits)
        } else {
            try Self.checkRefundedLines(refundedLines)
            self.change = .refundedLines(refundedLines)
        }
        try FieldValidation.text(reason, field: "reason", bytes: LedgerLimits.reasonBytes)
        self.merchantID = merchantID
        self.orderID = orderID
        self.reason = reason
    }

    private static func checkRefundedLines(_ lines: [RefundedLine]) throws(LedgerRejection) {
        guard lines.count <= LedgerLimits.orderLinesMax else {
            throw LedgerRejection(
                .invalidArgument,
                "refundedLines has \(lines.count) entries; at most \(LedgerLimits.orderLinesMax)")
        }
        var skus: [[UInt8]: Int] = [:]
        for (index, line) in lines.enumerated() {
            let field = "refundedLines[\(index)]"
            try FieldValidation.identifier(line.sku, field: "\(field).sku")
            try FieldValidation.integer(
                line.amountMinorUnits, field: "\(field).amountMinor",
                range: LedgerLimits.eligibleMinorUnits, unit: "minor units")
            try FieldValidation.unique(line.sku, at: index, in: &skus, field: "refundedLines")
        }
    }

    /// The accrual this adjustment is for.
    public var orderReference: OrderReference {
        do {
            return try OrderReference(merchantID: self.merchantID, orderID: self.orderID)
        } catch {
            preconditionFailure("a validated command holds valid ids: \(error)")
        }
    }
}

/// An amount refunded from one line of an order.
public struct RefundedLine: Hashable, Sendable, Codable {
    /// The line's sku, as accrued.
    public var sku: String
    /// The amount refunded by this adjustment, in minor units.
    public var amountMinorUnits: Int64

    /// Creates a refunded line (validated by `AdjustCommand`).
    public init(sku: String, amountMinorUnits: Int64) {
        self.sku = sku
        self.amountMinorUnits = amountMinorUnits
    }
}
