/// A member's cashback in one currency, as materialized by the ledger.
///
/// ```swift
/// print(balance.availableMinorUnits)  // what the member can spend or withdraw now
/// ```
public struct Balance: Hashable, Sendable {
    /// The member the balance belongs to.
    public var memberID: String
    /// The currency of every amount in the balance.
    public var currency: CurrencyCode
    /// Cashback of accruals that are still pending (not yet confirmed nor cancelled).
    public var pendingMinorUnits: Int64
    /// Cashback that was confirmed and can be spent or withdrawn.
    public var availableMinorUnits: Int64
    /// The cashback of every confirmed accrual, net of refunds after confirmation. Spending or
    /// withdrawing lowers `availableMinorUnits`, never this total; pending and cancelled
    /// cashback are never in it.
    public var lifetimeMinorUnits: Int64
    /// What the member owes the program: cashback clawed back by a refund after confirmation
    /// that the available balance could not cover. The member's next confirmed cashback pays
    /// it off first.
    public var debtMinorUnits: Int64
    /// Cashback set aside for withdrawals in flight (requested, not yet completed or failed).
    public var reservedMinorUnits: Int64 = 0
    /// Cashback ever spent on purchases (refunds of redemptions do not lower it).
    public var spentMinorUnits: Int64 = 0
    /// Cashback ever paid out by completed withdrawals.
    public var withdrawnMinorUnits: Int64 = 0
    /// Cashback that expired unused.
    public var expiredMinorUnits: Int64 = 0
    /// Of the available cashback, the amount that expires soonest (0 when nothing expires).
    public var nextExpiryMinorUnits: Int64 = 0
    /// When `nextExpiryMinorUnits` expires, in milliseconds since the Unix epoch (0 = never).
    public var nextExpiryAtMilliseconds: Int64 = 0

    /// Creates a balance.
    ///
    /// - Parameters:
    ///   - memberID: The member's id.
    ///   - currency: The currency.
    ///   - pendingMinorUnits: Pending cashback, `>= 0`.
    ///   - availableMinorUnits: Available cashback, `>= 0`.
    ///   - lifetimeMinorUnits: Cumulative confirmed cashback, `>= 0`.
    ///   - debtMinorUnits: What the member owes, `>= 0`.
    public init(
        memberID: String,
        currency: CurrencyCode,
        pendingMinorUnits: Int64,
        availableMinorUnits: Int64,
        lifetimeMinorUnits: Int64,
        debtMinorUnits: Int64 = 0
    ) {
        assert(pendingMinorUnits >= 0)
        assert(availableMinorUnits >= 0)
        assert(lifetimeMinorUnits >= 0)
        assert(debtMinorUnits >= 0)
        self.debtMinorUnits = debtMinorUnits
        self.memberID = memberID
        self.currency = currency
        self.pendingMinorUnits = pendingMinorUnits
        self.availableMinorUnits = availableMinorUnits
        self.lifetimeMinorUnits = lifetimeMinorUnits
    }

    /// The balance of a member the ledger has never credited: all zeros.
    ///
    /// - Parameters:
    ///   - memberID: The member's id.
    ///   - currency: The currency.
    public static func zero(memberID: String, currency: CurrencyCode) -> Balance {
        Balance(
            memberID: memberID,
            currency: currency,
            pendingMinorUnits: 0,
            availableMinorUnits: 0,
            lifetimeMinorUnits: 0
        )
    }
}
