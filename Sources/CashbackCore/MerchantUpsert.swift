/// A validated request to register a merchant or to change one.
///
/// Every field is overwritten on an update. The shopper rate only seeds the merchant's first
/// rule set; rates change by publishing a new rule set, so an update that sends another rate
/// is refused (`seedRateChanged`). Commission, hold and currency changes affect only later
/// accruals: every accrual locks what it was booked with.
///
/// ```swift
/// let upsert = try MerchantUpsert(
///     merchantID: "shop-1", name: "Shop One", currency: "EUR", shopperRateBasisPoints: 250,
///     commissionBasisPoints: 400, holdDays: 30, cashbackExpiryDays: 365, status: .active,
///     idempotencyKey: "upsert-shop-1-v1"
/// )
/// ```
public struct MerchantUpsert: Hashable, Sendable, Codable {
    /// The merchant's id, chosen by the caller; an identifier (see `FieldValidation`).
    public let merchantID: String
    /// The display name; 1...200 UTF-8 bytes, no control characters.
    public let name: String
    /// The currency all of the merchant's orders are reported in.
    public let currency: CurrencyCode
    /// The flat rate of the first rule set, in basis points (0...10_000).
    public let shopperRateBasisPoints: Int64
    /// The store's commission per order, in basis points of the eligible amount (0...10_000).
    public let commissionBasisPoints: Int64
    /// The return window in days (0...3650).
    public let holdDays: Int64
    /// Days after confirmation before cashback expires (0...3650; 0 = never).
    public let cashbackExpiryDays: Int64
    /// Whether the merchant takes new orders.
    public let status: MerchantStatus
    /// The caller's key for this command: a replay answers the first response.
    public let idempotencyKey: IdempotencyKey

    /// Validates every field against `LedgerLimits`.
    ///
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the first field (in the
    ///   order of the parameters) that is out of its limit.
    public init(
        merchantID: String,
        name: String,
        currency: String,
        shopperRateBasisPoints: Int64,
        commissionBasisPoints: Int64 = 0,
        holdDays: Int64 = 0,
        cashbackExpiryDays: Int64 = 0,
        status: MerchantStatus = .active,
        idempotencyKey: String
    ) throws(LedgerRejection) {
        try FieldValidation.identifier(merchantID, field: "merchantId")
        try FieldValidation.text(name, field: "name", bytes: LedgerLimits.merchantNameBytes)
        self.currency = try CurrencyCode(validating: currency)
        try FieldValidation.integer(
            shopperRateBasisPoints, field: "shopperRateBps",
            range: LedgerLimits.shopperRateBasisPoints, unit: "basis points")
        try FieldValidation.integer(
            commissionBasisPoints, field: "commissionBps",
            range: LedgerLimits.commissionBasisPoints, unit: "basis points")
        try FieldValidation.integer(
            holdDays, field: "holdDays", range: LedgerLimits.merchantDays, unit: "days")
        try FieldValidation.integer(
            cashbackExpiryDays, field: "cashbackExpiryDays", range: LedgerLimits.merchantDays,
            unit: "days")
        self.idempotencyKey = try IdempotencyKey(validating: idempotencyKey)
        self.merchantID = merchantID
        self.name = name
        self.shopperRateBasisPoints = shopperRateBasisPoints
        self.commissionBasisPoints = commissionBasisPoints
        self.holdDays = holdDays
        self.cashbackExpiryDays = cashbackExpiryDays
        self.status = status
    }
}
