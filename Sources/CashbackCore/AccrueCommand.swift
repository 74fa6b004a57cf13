/// A validated report of an order that earns the member cashback.
///
/// The pair (`merchantID`, `orderID`) is the idempotency key: the same command sent twice is
/// accrued once, and the same key with a different payload is a conflict.
///
/// ```swift
/// let command = try AccrueCommand(
///     merchantID: "shop-1", orderID: "order-42", memberID: "member-7",
///     eligibleMinorUnits: 12_999, currency: "EUR", orderedAtMilliseconds: 1_700_000_000_000
/// )
/// ```
public struct AccrueCommand: Hashable, Sendable {
    /// The merchant that reports the order.
    public let merchantID: String
    /// The merchant's own id for the order; unique per merchant.
    public let orderID: String
    /// The member who placed the order and earns the cashback.
    public let memberID: String
    /// The order's currency; must be the merchant's.
    public let currency: CurrencyCode
    /// The order's lines, segments, time and requested rule version.
    public let order: OrderPricingInput

    /// Validates every field against `LedgerLimits`.
    ///
    /// - Parameters:
    ///   - merchantID: The merchant's id (an identifier).
    ///   - orderID: The order's id (an identifier).
    ///   - memberID: The member's id (an identifier).
    ///   - eligibleMinorUnits: The eligible amount; 1...10^15 minor units, or with `lines` 0 or
    ///     their sum.
    ///   - currency: An ISO 4217 code such as `"EUR"`.
    ///   - orderedAtMilliseconds: Milliseconds since the epoch; after 1970, before year 10000.
    ///   - lines: The order's lines (optional).
    ///   - segments: The member's segments, for campaigns (optional).
    ///   - ruleVersion: The rule-set version to lock, for example the one a quote answered;
    ///     0 = the latest.
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the first field at
    ///   fault, checked in this order: the ids, then the order (amount and lines, segments,
    ///   time, rule version), then the currency.
    public init(
        merchantID: String,
        orderID: String,
        memberID: String,
        eligibleMinorUnits: Int64,
        currency: String,
        orderedAtMilliseconds: Int64,
        lines: [OrderLine] = [],
        segments: [String] = [],
        ruleVersion: Int64 = 0
    ) throws(LedgerRejection) {
        try FieldValidation.identifier(merchantID, field: "merchantId")
        try FieldValidation.identifier(orderID, field: "orderId")
        // The rest is exactly a quote's: Quote prices what Accrue books.
        let quote = try QuoteCommand(
            merchantID: merchantID, memberID: memberID, eligibleMinorUnits: eligibleMinorUnits,
            currency: currency, orderedAtMilliseconds: orderedAtMilliseconds, lines: lines,
            segments: segments, ruleVersion: ruleVersion)
        self.merchantID = merchantID
        self.orderID = orderID
        self.memberID = memberID
        self.currency = quote.currency
        self.order = quote.order
    }

    /// The order's eligible amount: the amount sent, or the sum of its lines.
    public var eligibleMinorUnits: Int64 {
        self.order.eligibleMinorUnits
    }

    /// When the order was placed.
    public var orderedAtMilliseconds: Int64 {
        self.order.orderedAtMilliseconds
    }
}

/// A validated request for a quote: the cashback an order would earn, priced by the very
/// function Accrue uses, writing nothing.
///
/// ```swift
/// let quote = try QuoteCommand(
///     merchantID: "shop-1", memberID: "member-7", eligibleMinorUnits: 12_999, currency: "EUR",
///     orderedAtMilliseconds: 1_700_000_000_000)
/// ```
public struct QuoteCommand: Hashable, Sendable {
    /// The merchant the order would be placed with.
    public let merchantID: String
    /// The member who would place it.
    public let memberID: String
    /// The order's currency; must be the merchant's.
    public let currency: CurrencyCode
    /// The order's lines, segments, time and requested rule version.
    public let order: OrderPricingInput

    /// Validates every field as `AccrueCommand` does (there is no order id yet).
    ///
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the first field at
    ///   fault: the ids, then the order (amount and lines, segments, time, rule version), then
    ///   the currency.
    public init(
        merchantID: String,
        memberID: String,
        eligibleMinorUnits: Int64,
        currency: String,
        orderedAtMilliseconds: Int64,
        lines: [OrderLine] = [],
        segments: [String] = [],
        ruleVersion: Int64 = 0
    ) throws(LedgerRejection) {
        try FieldValidation.identifier(merchantID, field: "merchantId")
        try FieldValidation.identifier(memberID, field: "memberId")
        let order = try OrderPricingInput(
            amountMinorUnits: eligibleMinorUnits, lines: lines, segments: segments,
            orderedAtMilliseconds: orderedAtMilliseconds, ruleVersion: ruleVersion)
        self.currency = try CurrencyCode(validating: currency)
        self.merchantID = merchantID
        self.memberID = memberID
        self.order = order
    }
}
