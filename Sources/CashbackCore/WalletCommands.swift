/// A validated spend of available cashback on a purchase.
///
/// ```swift
/// let redeem = try RedeemCommand(
///     memberID: "m1", currency: "EUR", amountMinorUnits: 500, purchaseReference: "cart-9",
///     idempotencyKey: "redeem-cart-9")
/// ```
public struct RedeemCommand: Hashable, Sendable, Codable {
    /// The member who spends.
    public let memberID: String
    /// The account's currency.
    public let currency: CurrencyCode
    /// The amount spent, in minor units (1...10^15).
    public let amountMinorUnits: Int64
    /// The purchase it pays for (an identifier), or empty.
    public let purchaseReference: String
    /// The caller's key for this command.
    public let idempotencyKey: IdempotencyKey

    /// Validates every field.
    ///
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the field.
    public init(
        memberID: String, currency: String, amountMinorUnits: Int64,
        purchaseReference: String = "", idempotencyKey: String
    ) throws(LedgerRejection) {
        try FieldValidation.identifier(memberID, field: "memberId")
        self.currency = try CurrencyCode(validating: currency)
        try FieldValidation.integer(
            amountMinorUnits, field: "amountMinor", range: LedgerLimits.eligibleMinorUnits,
            unit: "minor units")
        if !purchaseReference.isEmpty {
            try FieldValidation.identifier(purchaseReference, field: "purchaseRef")
        }
        self.idempotencyKey = try IdempotencyKey(validating: idempotencyKey)
        self.memberID = memberID
        self.amountMinorUnits = amountMinorUnits
        self.purchaseReference = purchaseReference
    }
}

/// A validated refund of (part of) a redemption: the amount goes back to the lots it was
/// spent from, with their original expiry.
public struct RedemptionRefundCommand: Hashable, Sendable, Codable {
    /// The redemption.
    public let redemptionID: Int64
    /// The amount refunded now, in minor units; at most what is left of the redemption.
    public let amountMinorUnits: Int64
    /// Why (0...500 UTF-8 bytes).
    public let reason: String
    /// The caller's key for this command.
    public let idempotencyKey: IdempotencyKey

    /// Validates every field.
    ///
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the field.
    public init(
        redemptionID: Int64, amountMinorUnits: Int64, reason: String = "", idempotencyKey: String
    ) throws(LedgerRejection) {
        try FieldValidation.integer(
            redemptionID, field: "redemptionId", range: 1...Int64.max, unit: "(an id)")
        try FieldValidation.integer(
            amountMinorUnits, field: "amountMinor", range: LedgerLimits.eligibleMinorUnits,
            unit: "minor units")
        try FieldValidation.text(reason, field: "reason", bytes: LedgerLimits.reasonBytes)
        self.idempotencyKey = try IdempotencyKey(validating: idempotencyKey)
        self.redemptionID = redemptionID
        self.amountMinorUnits = amountMinorUnits
        self.reason = reason
    }
}

/// A validated request to withdraw available cashback to a payout destination: the amount
/// moves from available to reserved until the payout worker completes or fails it.
public struct WithdrawCommand: Hashable, Sendable, Codable {
    /// The member who withdraws.
    public let memberID: String
    /// The account's currency.
    public let currency: CurrencyCode
    /// The amount, in minor units; at least the currency's minimum (`WalletPolicy`).
    public let amountMinorUnits: Int64
    /// Where the money goes.
    public let destination: PayoutDestination
    /// The caller's key for this command.
    public let idempotencyKey: IdempotencyKey

    /// Validates every field (the minimum is the store's, per its `WalletPolicy`).
    ///
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the field.
    public init(
        memberID: String, currency: String, amountMinorUnits: Int64,
        destination: PayoutDestination, idempotencyKey: String
    ) throws(LedgerRejection) {
        try FieldValidation.identifier(memberID, field: "memberId")
        self.currency = try CurrencyCode(validating: currency)
        try FieldValidation.integer(
            amountMinorUnits, field: "amountMinor", range: LedgerLimits.eligibleMinorUnits,
            unit: "minor units")
        self.idempotencyKey = try IdempotencyKey(validating: idempotencyKey)
        self.memberID = memberID
        self.amountMinorUnits = amountMinorUnits
        self.destination = destination
    }
}

/// The payout worker's answer for one withdrawal.
public struct WithdrawalSettlementCommand: Hashable, Sendable, Codable {
    /// What happened to the payout.
    public enum Outcome: Hashable, Sendable, Codable {
        /// The money reached the destination: reserved → withdrawn.
        case completed
        /// The payout failed: reserved → available, back into the lots it came from.
        case failed(reason: String)
    }

    /// The withdrawal.
    public let withdrawalID: Int64
    /// What happened.
    public let outcome: Outcome
    /// The caller's key for this command.
    public let idempotencyKey: IdempotencyKey

    /// Validates every field; a failure needs a reason (1...500 UTF-8 bytes).
    ///
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the field.
    public init(withdrawalID: Int64, outcome: Outcome, idempotencyKey: String)
        throws(LedgerRejection)
    {
        try FieldValidation.integer(
            withdrawalID, field: "withdrawalId", range: 1...Int64.max, unit: "(an id)")
        if case .failed(let reason) = outcome {
            try FieldValidation.text(reason, field: "reason", bytes: 1...LedgerLimits.reasonBytes.upperBound)
        }
        self.idempotencyKey = try IdempotencyKey(validating: idempotencyKey)
        self.withdrawalID = withdrawalID
        self.outcome = outcome
    }
}

/// A validated back-office freeze or unfreeze of a member: while frozen, Redeem and Withdraw
/// are refused.
public struct MemberFreezeCommand: Hashable, Sendable, Codable {
    /// The member.
    public let memberID: String
    /// `true` to freeze, `false` to unfreeze.
    public let frozen: Bool
    /// Who did it (an identifier), kept forever.
    public let actor: String
    /// Why (1...500 UTF-8 bytes), kept forever.
    public let reason: String
    /// The caller's key for this command.
    public let idempotencyKey: IdempotencyKey

    /// Validates every field; actor and reason are required.
    ///
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the field.
    public init(
        memberID: String, frozen: Bool, actor: String, reason: String, idempotencyKey: String
    ) throws(LedgerRejection) {
        try FieldValidation.identifier(memberID, field: "memberId")
        try FieldValidation.adminAction(actor: actor, reason: reason)
        self.idempotencyKey = try IdempotencyKey(validating: idempotencyKey)
        self.memberID = memberID
        self.frozen = frozen
        self.actor = actor
        self.reason = reason
    }
}

/// A validated expiry run: what is left of every lot that expired at or before `asOf` moves
/// from available to expired.
public struct ExpiryRunCommand: Hashable, Sendable, Codable {
    /// The instant to expire up to, in milliseconds since the Unix epoch.
    public let asOfMilliseconds: Int64
    /// The caller's key for this command.
    public let idempotencyKey: IdempotencyKey

    /// Validates every field.
    ///
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the field.
    public init(asOfMilliseconds: Int64, idempotencyKey: String) throws(LedgerRejection) {
        try FieldValidation.integer(
            asOfMilliseconds, field: "asOfMs", range: LedgerLimits.orderedAtMilliseconds,
            unit: "milliseconds since the Unix epoch")
        self.idempotencyKey = try IdempotencyKey(validating: idempotencyKey)
        self.asOfMilliseconds = asOfMilliseconds
    }
}

/// What the wallet allows: the withdrawal minimum per currency, and velocity limits per member.
public struct WalletPolicy: Hashable, Sendable {
    /// New accruals one member may get in any sliding hour (replays do not count).
    public var accrualsPerMemberPerHour: Int = 100
    /// Withdrawals one member may request in any sliding day (replays do not count).
    public var withdrawalsPerMemberPerDay: Int = 5

    /// The minimum withdrawal of a currency without its own entry, in minor units.
    public var defaultWithdrawalMinimumMinorUnits: Int64
    /// Minimums per currency, in minor units.
    public var withdrawalMinimumMinorUnits: [CurrencyCode: Int64]

    /// 10.00 in any currency with two decimals (1000 minor units), unless configured.
    public static let `default` = WalletPolicy(
        defaultWithdrawalMinimumMinorUnits: 1_000, withdrawalMinimumMinorUnits: [:])

    /// Creates a policy.
    public init(
        defaultWithdrawalMinimumMinorUnits: Int64,
        withdrawalMinimumMinorUnits: [CurrencyCode: Int64]
    ) {
        self.defaultWithdrawalMinimumMinorUnits = defaultWithdrawalMinimumMinorUnits
        self.withdrawalMinimumMinorUnits = withdrawalMinimumMinorUnits
    }

    /// The minimum withdrawal in `currency`, in minor units.
    public func withdrawalMinimum(_ currency: CurrencyCode) -> Int64 {
        self.withdrawalMinimumMinorUnits[currency] ?? self.defaultWithdrawalMinimumMinorUnits
    }
}
