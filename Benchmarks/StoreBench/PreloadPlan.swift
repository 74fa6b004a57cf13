import CashbackCore

/// What `preload` books, as a pure function of the member's index: the same arguments always
/// give the same commands, so a second run over a file replays every one of them.
///
/// Member `i` (`member-i`) shops at merchant `i % merchants` (`storebench-shop-m`, rates 200 to
/// 400 basis points, commission 4 %): order `pl-i-1` is accrued and confirmed, order `pl-i-2`
/// is accrued and left pending, and every fourth member spends half of the confirmed cashback
/// (`pl-i-redeem`).
///
/// ```swift
/// let plan = try PreloadPlan(members: 1_000, merchants: 10, currency: "EUR")
/// let history = plan.history(ofMember: 7)   // member-7 at storebench-shop-7
/// ```
struct PreloadPlan: Sendable {
    /// Members to create, `member-0` to `member-(members-1)`.
    let members: Int
    /// Merchants the members shop at.
    let merchants: Int
    /// The currency of every merchant and order.
    let currency: CurrencyCode

    /// The time every preloaded order carries: fixed, so that a rerun replays the order
    /// (the order time is part of what a replay must match).
    static let orderedAtMilliseconds: Int64 = 1_700_000_000_000

    /// Validates the counts.
    ///
    /// - Throws: `PreloadPlan.Invalid` naming the option and the fix.
    init(members: Int, merchants: Int, currency: String) throws {
        guard members >= 1 else { throw Invalid("--members must be at least 1, got \(members)") }
        guard merchants >= 1, merchants <= members else {
            throw Invalid(
                "--merchants must be from 1 to --members (\(members)), got \(merchants)")
        }
        do {
            self.currency = try CurrencyCode(validating: currency)
        } catch {
            throw Invalid("--currency: \(error.message)")
        }
        self.members = members
        self.merchants = merchants
    }

    /// A plan that cannot be run, in words naming the option.
    struct Invalid: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// The id of merchant number `index`.
    static func merchantID(_ index: Int) -> String {
        "storebench-shop-\(index)"
    }

    /// The shopper rate of merchant number `index`: 200, 250, … 400 basis points.
    static func shopperRateBasisPoints(ofMerchant index: Int) -> Int64 {
        200 + 50 * Int64(index % 5)
    }

    /// The registration of merchant number `index`, keyed so that a rerun replays it.
    func merchantUpsert(_ index: Int) throws(LedgerRejection) -> MerchantUpsert {
        try MerchantUpsert(
            merchantID: Self.merchantID(index), name: "Store bench shop \(index)",
            currency: self.currency.rawValue,
            shopperRateBasisPoints: Self.shopperRateBasisPoints(ofMerchant: index),
            commissionBasisPoints: 400, holdDays: 30, cashbackExpiryDays: 365,
            idempotencyKey: "storebench-upsert-\(index)")
    }

    /// The id of member number `index`; `accrue` and `balance` use the same names.
    static func memberID(_ index: Int) -> String {
        "member-\(index)"
    }

    /// The history of member number `index`.
    func history(ofMember index: Int) -> MemberHistory {
        precondition(index >= 0 && index < self.members, "member index out of the plan")
        // Amounts spread over 10.00 to 999.99 and 5.00 to 499.99 without floating point:
        // multiplying by a prime modulo the range visits it evenly.
        return MemberHistory(
            memberID: Self.memberID(index),
            merchantIndex: index % self.merchants,
            confirmedOrderID: "pl-\(index)-1",
            confirmedAmountMinorUnits: 1_000 + Int64(index % 98_999) * 7_919 % 98_999,
            pendingOrderID: "pl-\(index)-2",
            pendingAmountMinorUnits: 500 + Int64(index % 49_499) * 104_729 % 49_499,
            spendsHalf: index % 4 == 0)
    }
}

/// One member's preloaded history (see `PreloadPlan`).
struct MemberHistory: Hashable, Sendable {
    /// The member.
    let memberID: String
    /// The merchant the member shops at.
    let merchantIndex: Int
    /// The order accrued and then confirmed.
    let confirmedOrderID: String
    /// Its eligible amount, in minor units.
    let confirmedAmountMinorUnits: Int64
    /// The order accrued and left pending.
    let pendingOrderID: String
    /// Its eligible amount, in minor units.
    let pendingAmountMinorUnits: Int64
    /// Whether the member spends half of the confirmed cashback (rounded down; nothing when
    /// that half is 0).
    let spendsHalf: Bool

    /// The merchant's id.
    var merchantID: String {
        PreloadPlan.merchantID(self.merchantIndex)
    }

    /// The accrual of the confirmed order.
    func confirmedAccrual(_ currency: CurrencyCode) throws(LedgerRejection) -> AccrueCommand {
        try self.accrual(self.confirmedOrderID, self.confirmedAmountMinorUnits, currency)
    }

    /// The accrual of the pending order.
    func pendingAccrual(_ currency: CurrencyCode) throws(LedgerRejection) -> AccrueCommand {
        try self.accrual(self.pendingOrderID, self.pendingAmountMinorUnits, currency)
    }

    /// The spending of `amount` (half of the confirmed cashback), keyed by the member.
    func redemption(
        _ amountMinorUnits: Int64, _ currency: CurrencyCode
    ) throws(LedgerRejection) -> RedeemCommand {
        try RedeemCommand(
            memberID: self.memberID, currency: currency.rawValue,
            amountMinorUnits: amountMinorUnits, purchaseReference: "\(self.memberID)-cart",
            idempotencyKey: "pl-\(self.memberID)-redeem")
    }

    private func accrual(
        _ orderID: String, _ amountMinorUnits: Int64, _ currency: CurrencyCode
    ) throws(LedgerRejection) -> AccrueCommand {
        try AccrueCommand(
            merchantID: self.merchantID, orderID: orderID, memberID: self.memberID,
            eligibleMinorUnits: amountMinorUnits, currency: currency.rawValue,
            orderedAtMilliseconds: PreloadPlan.orderedAtMilliseconds)
    }
}
