/// A registered merchant as the ledger holds it.
///
/// ```swift
/// let merchant = Merchant(
///     merchantID: "shop-1", name: "Shop One", currency: try CurrencyCode(validating: "EUR"),
///     shopperRateBasisPoints: 250
/// )
/// ```
public struct Merchant: Hashable, Sendable {
    /// The merchant's id.
    public var merchantID: String
    /// The display name.
    public var name: String
    /// The currency all of the merchant's orders are reported in.
    public var currency: CurrencyCode
    /// The shopper's share applied to the merchant's next accruals, in basis points.
    public var shopperRateBasisPoints: Int64

    /// Creates a merchant record.
    ///
    /// - Parameters:
    ///   - merchantID: The merchant's id.
    ///   - name: The display name.
    ///   - currency: The merchant's currency.
    ///   - shopperRateBasisPoints: The current shopper rate, within
    ///     `LedgerLimits.shopperRateBasisPoints`.
    public init(
        merchantID: String,
        name: String,
        currency: CurrencyCode,
        shopperRateBasisPoints: Int64
    ) {
        assert(LedgerLimits.shopperRateBasisPoints.contains(shopperRateBasisPoints))
        self.merchantID = merchantID
        self.name = name
        self.currency = currency
        self.shopperRateBasisPoints = shopperRateBasisPoints
    }

    /// The record a validated upsert describes.
    ///
    /// - Parameter upsert: The validated request.
    public init(_ upsert: MerchantUpsert) {
        self.init(
            merchantID: upsert.merchantID,
            name: upsert.name,
            currency: upsert.currency,
            shopperRateBasisPoints: upsert.shopperRateBasisPoints
        )
    }
}
