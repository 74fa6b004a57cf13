/// One accrual: the cashback one order earned, with the rate locked at accrual time.
///
/// ```swift
/// if record.state == .pending { print(record.cashbackMinorUnits) }
/// ```
public struct AccrualRecord: Hashable, Sendable {
    /// The ledger's own id for the accrual, assigned on insert; never reused.
    public var accrualID: Int64
    /// The merchant that reported the order.
    public var merchantID: String
    /// The merchant's id for the order.
    public var orderID: String
    /// The member who earns the cashback.
    public var memberID: String
    /// The order's currency, which is also the cashback's.
    public var currency: CurrencyCode
    /// The order's eligible net amount, in minor units.
    public var eligibleMinorUnits: Int64
    /// The shopper rate the cashback was computed with, locked when the order was accrued:
    /// later rate changes of the merchant do not touch it.
    public var shopperRateBasisPoints: Int64
    /// The cashback, `Cashback.amountMinorUnits(eligible, rate)`, in minor units.
    public var cashbackMinorUnits: Int64
    /// Where the accrual is in its lifecycle.
    public var state: AccrualState
    /// When the order was placed, in milliseconds since the Unix epoch.
    public var orderedAtMilliseconds: Int64

    /// Creates an accrual record.
    ///
    /// - Parameters:
    ///   - accrualID: The ledger's id for the accrual.
    ///   - merchantID: The merchant's id.
    ///   - orderID: The merchant's id for the order.
    ///   - memberID: The member's id.
    ///   - currency: The order's currency.
    ///   - eligibleMinorUnits: The eligible amount, in minor units.
    ///   - shopperRateBasisPoints: The locked rate, in basis points.
    ///   - cashbackMinorUnits: The cashback, in minor units.
    ///   - state: The lifecycle state.
    ///   - orderedAtMilliseconds: When the order was placed.
    public init(
        accrualID: Int64,
        merchantID: String,
        orderID: String,
        memberID: String,
        currency: CurrencyCode,
        eligibleMinorUnits: Int64,
        shopperRateBasisPoints: Int64,
        cashbackMinorUnits: Int64,
        state: AccrualState,
        orderedAtMilliseconds: Int64
    ) {
        assert(eligibleMinorUnits >= 0)
        assert(LedgerLimits.shopperRateBasisPoints.contains(shopperRateBasisPoints))
        assert(cashbackMinorUnits >= 0)
        assert(cashbackMinorUnits <= eligibleMinorUnits)
        self.accrualID = accrualID
        self.merchantID = merchantID
        self.orderID = orderID
        self.memberID = memberID
        self.currency = currency
        self.eligibleMinorUnits = eligibleMinorUnits
        self.shopperRateBasisPoints = shopperRateBasisPoints
        self.cashbackMinorUnits = cashbackMinorUnits
        self.state = state
        self.orderedAtMilliseconds = orderedAtMilliseconds
    }

    /// The accrual's key.
    public var orderReference: OrderReference {
        // The store only holds ids that passed the same validation.
        do {
            return try OrderReference(merchantID: self.merchantID, orderID: self.orderID)
        } catch {
            preconditionFailure("an accrual record holds valid ids: \(error)")
        }
    }
}
