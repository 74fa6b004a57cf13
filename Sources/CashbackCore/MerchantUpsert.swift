/// A validated request to register a merchant or to change one.
///
/// Changing the rate or the currency affects only later accruals: every accrual locks the rate
/// it was computed with.
///
/// ```swift
/// let upsert = try MerchantUpsert(
///     merchantID: "shop-1", name: "Shop One", currency: "EUR", shopperRateBasisPoints: 250
/// )
/// ```
public struct MerchantUpsert: Hashable, Sendable {
    /// The merchant's id, chosen by the caller; 1...128 UTF-8 bytes, no control characters.
    public let merchantID: String
    /// The display name; 1...200 UTF-8 bytes, no control characters.
    public let name: String
    /// The currency all of the merchant's orders are reported in.
    public let currency: CurrencyCode
    /// The shopper's share of each order's eligible amount, in basis points (0...10_000).
    public let shopperRateBasisPoints: Int64

    /// Validates every field against `LedgerLimits`.
    ///
    /// - Parameters:
    ///   - merchantID: The merchant's id.
    ///   - name: The display name.
    ///   - currency: An ISO 4217 code such as `"EUR"`.
    ///   - shopperRateBasisPoints: The shopper's rate in basis points.
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the first field (in the
    ///   order of the parameters) that is out of its limit.
    public init(
        merchantID: String,
        name: String,
        currency: String,
        shopperRateBasisPoints: Int64
    ) throws(LedgerRejection) {
        try FieldValidation.identifier(merchantID, field: "merchantId")
        try FieldValidation.text(name, field: "name", bytes: LedgerLimits.merchantNameBytes)
        self.currency = try CurrencyCode(validating: currency)
        try FieldValidation.integer(
            shopperRateBasisPoints,
            field: "shopperRateBps",
            range: LedgerLimits.shopperRateBasisPoints,
            unit: "basis points"
        )
        self.merchantID = merchantID
        self.name = name
        self.shopperRateBasisPoints = shopperRateBasisPoints
    }
}
