/// Whether a merchant takes new orders.
///
/// The raw values go on the wire and into the database; they are fixed and never renumbered.
public enum MerchantStatus: UInt8, Sendable, Hashable, CaseIterable, Codable,
    CustomStringConvertible
{
    /// New orders are accrued.
    case active = 1
    /// New orders (Accrue, Quote) are refused with `merchantPaused`; orders already accrued
    /// still move through their lifecycle.
    case paused = 2

    /// The status's name, as it appears in logs.
    public var description: String {
        switch self {
        case .active: "active"
        case .paused: "paused"
        }
    }
}

/// A registered merchant as the ledger holds it.
///
/// ```swift
/// let merchant = Merchant(
///     merchantID: "shop-1", name: "Shop One", currency: try CurrencyCode(validating: "EUR"),
///     shopperRateBasisPoints: 250, commissionBasisPoints: 400, holdDays: 30,
///     cashbackExpiryDays: 0, status: .active
/// )
/// ```
public struct Merchant: Hashable, Sendable, Codable {
    /// The merchant's id.
    public var merchantID: String
    /// The display name.
    public var name: String
    /// The currency all of the merchant's orders are reported in.
    public var currency: CurrencyCode
    /// The flat rate of the merchant's first rule set (version 1), in basis points. Rates
    /// change only by publishing a new rule set.
    public var shopperRateBasisPoints: Int64
    /// The commission the store pays the program per order, in basis points of the eligible
    /// amount. Each accrual locks the commission in force when it was booked.
    public var commissionBasisPoints: Int64
    /// The return window, in days after the order: `holdEndsAt = orderedAt + holdDays`.
    public var holdDays: Int64
    /// Days after confirmation before confirmed cashback expires; 0 means never.
    public var cashbackExpiryDays: Int64
    /// Whether the merchant takes new orders.
    public var status: MerchantStatus

    /// Creates a merchant record.
    ///
    /// - Parameters:
    ///   - merchantID: The merchant's id.
    ///   - name: The display name.
    ///   - currency: The merchant's currency.
    ///   - shopperRateBasisPoints: The flat rate of the first rule set.
    ///   - commissionBasisPoints: The store's commission per order, in basis points.
    ///   - holdDays: The return window, in days.
    ///   - cashbackExpiryDays: Days before confirmed cashback expires; 0 = never.
    ///   - status: Whether the merchant takes new orders.
    public init(
        merchantID: String,
        name: String,
        currency: CurrencyCode,
        shopperRateBasisPoints: Int64,
        commissionBasisPoints: Int64 = 0,
        holdDays: Int64 = 0,
        cashbackExpiryDays: Int64 = 0,
        status: MerchantStatus = .active
    ) {
        assert(LedgerLimits.shopperRateBasisPoints.contains(shopperRateBasisPoints))
        assert(LedgerLimits.commissionBasisPoints.contains(commissionBasisPoints))
        assert(LedgerLimits.merchantDays.contains(holdDays))
        assert(LedgerLimits.merchantDays.contains(cashbackExpiryDays))
        self.merchantID = merchantID
        self.name = name
        self.currency = currency
        self.shopperRateBasisPoints = shopperRateBasisPoints
        self.commissionBasisPoints = commissionBasisPoints
        self.holdDays = holdDays
        self.cashbackExpiryDays = cashbackExpiryDays
        self.status = status
    }

    /// The record a validated upsert describes.
    ///
    /// - Parameter upsert: The validated request.
    public init(_ upsert: MerchantUpsert) {
        self.init(
            merchantID: upsert.merchantID,
            name: upsert.name,
            currency: upsert.currency,
            shopperRateBasisPoints: upsert.shopperRateBasisPoints,
            commissionBasisPoints: upsert.commissionBasisPoints,
            holdDays: upsert.holdDays,
            cashbackExpiryDays: upsert.cashbackExpiryDays,
            status: upsert.status
        )
    }
}
