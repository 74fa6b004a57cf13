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
    /// The order's eligible net amount (no shipping, taxes or discounts), in minor units.
    public let eligibleMinorUnits: Int64
    /// The order's currency; must be the merchant's.
    public let currency: CurrencyCode
    /// When the order was placed, in milliseconds since the Unix epoch.
    public let orderedAtMilliseconds: Int64

    /// Validates every field against `LedgerLimits`.
    ///
    /// - Parameters:
    ///   - merchantID: The merchant's id; 1...128 UTF-8 bytes, no control characters.
    ///   - orderID: The order's id; 1...128 UTF-8 bytes, no control characters.
    ///   - memberID: The member's id; 1...128 UTF-8 bytes, no control characters.
    ///   - eligibleMinorUnits: The eligible amount; 1...10^15 minor units.
    ///   - currency: An ISO 4217 code such as `"EUR"`.
    ///   - orderedAtMilliseconds: Milliseconds since the epoch; after 1970, before year 10000.
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the first field (in the
    ///   order of the parameters) that is out of its limit.
    public init(
        merchantID: String,
        orderID: String,
        memberID: String,
        eligibleMinorUnits: Int64,
        currency: String,
        orderedAtMilliseconds: Int64
    ) throws(LedgerRejection) {
        try FieldValidation.identifier(merchantID, field: "merchantId")
        try FieldValidation.identifier(orderID, field: "orderId")
        try FieldValidation.identifier(memberID, field: "memberId")
        try FieldValidation.integer(
            eligibleMinorUnits,
            field: "amountMinor",
            range: LedgerLimits.eligibleMinorUnits,
            unit: "minor units"
        )
        self.currency = try CurrencyCode(validating: currency)
        try FieldValidation.integer(
            orderedAtMilliseconds,
            field: "orderedAtMs",
            range: LedgerLimits.orderedAtMilliseconds,
            unit: "milliseconds since the Unix epoch"
        )
        self.merchantID = merchantID
        self.orderID = orderID
        self.memberID = memberID
        self.eligibleMinorUnits = eligibleMinorUnits
        self.orderedAtMilliseconds = orderedAtMilliseconds
    }
}
