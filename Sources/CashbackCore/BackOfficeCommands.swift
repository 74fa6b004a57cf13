/// A validated claim for cashback a member never got: the member reports an order that was
/// never credited, with its details, for the back office to approve or reject.
public struct ClaimFiling: Hashable, Sendable, Codable {
    /// The member who claims.
    public let memberID: String
    /// The merchant the order was placed with.
    public let merchantID: String
    /// The merchant's order id.
    public let orderID: String
    /// The order's eligible amount, in minor units.
    public let amountMinorUnits: Int64
    /// The order's currency.
    public let currency: CurrencyCode
    /// When the order was placed.
    public let orderedAtMilliseconds: Int64
    /// What the member says (0...1000 UTF-8 bytes): where, when, proof.
    public let details: String
    /// The caller's key for this command.
    public let idempotencyKey: IdempotencyKey

    /// Validates every field.
    ///
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the field.
    public init(
        memberID: String, merchantID: String, orderID: String, amountMinorUnits: Int64,
        currency: String, orderedAtMilliseconds: Int64, details: String, idempotencyKey: String
    ) throws(LedgerRejection) {
        try FieldValidation.identifier(memberID, field: "memberId")
        try FieldValidation.identifier(merchantID, field: "merchantId")
        try FieldValidation.identifier(orderID, field: "orderId")
        try FieldValidation.integer(
            amountMinorUnits, field: "amountMinor", range: LedgerLimits.eligibleMinorUnits,
            unit: "minor units")
        self.currency = try CurrencyCode(validating: currency)
        try FieldValidation.integer(
            orderedAtMilliseconds, field: "orderedAtMs", range: LedgerLimits.orderedAtMilliseconds,
            unit: "milliseconds since the Unix epoch")
        try FieldValidation.text(details, field: "details", bytes: LedgerLimits.claimDetailsBytes)
        self.idempotencyKey = try IdempotencyKey(validating: idempotencyKey)
        self.memberID = memberID
        self.merchantID = merchantID
        self.orderID = orderID
        self.amountMinorUnits = amountMinorUnits
        self.orderedAtMilliseconds = orderedAtMilliseconds
        self.details = details
    }
}

/// A validated back-office decision on a claim.
public struct ClaimDecision: Hashable, Sendable, Codable {
    /// The claim.
    public let claimID: Int64
    /// `true` to approve (an accrual is booked from the claim), `false` to reject.
    public let approve: Bool
    /// Who decided (an identifier), kept forever.
    public let actor: String
    /// Why (1...500 UTF-8 bytes), kept forever.
    public let reason: String
    /// The caller's key for this command.
    public let idempotencyKey: IdempotencyKey

    /// Validates every field.
    ///
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the field.
    public init(claimID: Int64, approve: Bool, actor: String, reason: String, idempotencyKey: String)
        throws(LedgerRejection)
    {
        try FieldValidation.integer(claimID, field: "claimId", range: 1...Int64.max, unit: "(an id)")
        try FieldValidation.adminAction(actor: actor, reason: reason)
        self.idempotencyKey = try IdempotencyKey(validating: idempotencyKey)
        self.claimID = claimID
        self.approve = approve
        self.actor = actor
        self.reason = reason
    }
}

/// A validated manual credit (positive) or debit (negative) of a member's available balance.
public struct BalanceAdjustment: Hashable, Sendable, Codable {
    /// The member.
    public let memberID: String
    /// The account's currency.
    public let currency: CurrencyCode
    /// Signed minor units: a credit if positive, a debit if negative; never 0.
    public let amountMinorUnits: Int64
    /// Who did it (an identifier), kept forever.
    public let actor: String
    /// Why (1...500 UTF-8 bytes), kept forever.
    public let reason: String
    /// The caller's key for this command.
    public let idempotencyKey: IdempotencyKey

    /// Validates every field.
    ///
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the field.
    public init(
        memberID: String, currency: String, amountMinorUnits: Int64, actor: String,
        reason: String, idempotencyKey: String
    ) throws(LedgerRejection) {
        try FieldValidation.identifier(memberID, field: "memberId")
        self.currency = try CurrencyCode(validating: currency)
        let limit = LedgerLimits.eligibleMinorUnits.upperBound
        guard amountMinorUnits != 0, (-limit...limit).contains(amountMinorUnits) else {
            throw LedgerRejection(
                .invalidArgument,
                "amountMinor must be a credit of 1...\(limit) or a debit of -1...-\(limit) "
                    + "minor units, got \(amountMinorUnits)")
        }
        try FieldValidation.adminAction(actor: actor, reason: reason)
        self.idempotencyKey = try IdempotencyKey(validating: idempotencyKey)
        self.memberID = memberID
        self.amountMinorUnits = amountMinorUnits
        self.actor = actor
        self.reason = reason
    }
}

/// Where a claim is: pending until approved or rejected, once.
public enum ClaimState: UInt8, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Filed, not decided.
    case pending = 1
    /// Approved: an accrual was booked from it.
    case approved = 2
    /// Rejected, with a reason.
    case rejected = 3

    /// The state's name, as it appears in logs.
    public var description: String {
        switch self {
        case .pending: "pending"
        case .approved: "approved"
        case .rejected: "rejected"
        }
    }
}
