/// A business outcome that refuses a ledger command: a value, not a failure of the service.
///
/// Rejections come back inside a `Result` from the repository; they are expected answers to
/// bad or conflicting input. Infrastructure failures (a full disk, a corrupt file) are thrown
/// errors instead, so a caller can never mistake one for the other.
///
/// ```swift
/// let rejection = LedgerRejection(.merchantNotFound, "merchant 'shop-1' is not registered")
/// print(rejection.code.rawValue)  // 2
/// ```
public struct LedgerRejection: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Why a command was refused.
    ///
    /// Raw values are stable ids: they are never renumbered, and a new code takes the next
    /// free number. The order in which a command checks them is stated per command on
    /// `LedgerRepository`; a replay (of an order or an idempotency key) is always judged
    /// before anything about the current state, so that it answers the first result.
    ///
    /// The server maps them to RPC status codes: `invalidArgument` and `currencyMismatch` to
    /// INVALID_ARGUMENT, and so is `belowWithdrawalMinimum`; `merchantNotFound`,
    /// `accrualNotFound`, `ruleSetNotFound`, `redemptionNotFound` and `withdrawalNotFound` to
    /// NOT_FOUND; `orderConflict` and `idempotencyConflict` to ALREADY_EXISTS; the rest
    /// (`confirmAfterCancel`, `cancelAfterConfirm`, `merchantPaused`, `adjustmentRefused`,
    /// `seedRateChanged`, `insufficientFunds`, `memberFrozen`, `withdrawalSettled`,
    /// `refundExceedsRedemption`, `claimDecided`) to FAILED_PRECONDITION; `claimNotFound` to
    /// NOT_FOUND; `duplicateClaim` to ALREADY_EXISTS; `velocityLimit` to RESOURCE_EXHAUSTED.
    /// Only `velocityLimit` is transient: otherwise retrying the same command gives the same
    /// answer until some other command changes the state.
    public enum Code: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// A field is missing, malformed or outside its limit (see `LedgerLimits`).
        case invalidArgument = 1
        /// The command names a merchant that was never registered.
        case merchantNotFound = 2
        /// The command's currency is not the merchant's currency.
        case currencyMismatch = 3
        /// The (merchant, order id) pair was already accrued with a different payload.
        case orderConflict = 4
        /// No accrual exists for the (merchant, order id) pair.
        case accrualNotFound = 5
        /// A cancelled accrual cannot be confirmed.
        case confirmAfterCancel = 6
        /// A confirmed accrual cannot be cancelled.
        case cancelAfterConfirm = 7
        /// The merchant is paused: it takes no new orders.
        case merchantPaused = 8
        /// The requested rule-set version was never published for the merchant.
        case ruleSetNotFound = 9
        /// The idempotency key was already used with a different payload.
        case idempotencyConflict = 10
        /// The adjustment cannot apply: the accrual was cancelled, or the refund would raise
        /// the eligible amount or refund more than a line has left.
        case adjustmentRefused = 11
        /// An update of a merchant sent a shopper rate other than the one its first rule set
        /// was seeded with; rates change by publishing a rule set.
        case seedRateChanged = 12
        /// The member's available balance does not cover the amount.
        case insufficientFunds = 13
        /// The member is frozen: no redeem or withdraw.
        case memberFrozen = 14
        /// No redemption with that id.
        case redemptionNotFound = 15
        /// No withdrawal with that id.
        case withdrawalNotFound = 16
        /// The withdrawal was already settled the other way (completed, or failed).
        case withdrawalSettled = 17
        /// The refund exceeds what is left of the redemption.
        case refundExceedsRedemption = 18
        /// The withdrawal is below the currency's minimum.
        case belowWithdrawalMinimum = 19
        /// No claim with that id.
        case claimNotFound = 20
        /// The claim was already decided the other way (approved, or rejected).
        case claimDecided = 21
        /// The claimed order is already credited, or already claimed.
        case duplicateClaim = 22
        /// The member exceeded a velocity limit (accruals per hour, withdrawals per day);
        /// transient: the same command succeeds once the window has moved on.
        case velocityLimit = 23

        /// The code's name in lower camel case, as it appears in logs.
        public var description: String {
            switch self {
            case .invalidArgument: "invalidArgument"
            case .merchantNotFound: "merchantNotFound"
            case .currencyMismatch: "currencyMismatch"
            case .orderConflict: "orderConflict"
            case .accrualNotFound: "accrualNotFound"
            case .confirmAfterCancel: "confirmAfterCancel"
            case .cancelAfterConfirm: "cancelAfterConfirm"
            case .merchantPaused: "merchantPaused"
            case .ruleSetNotFound: "ruleSetNotFound"
            case .idempotencyConflict: "idempotencyConflict"
            case .adjustmentRefused: "adjustmentRefused"
            case .seedRateChanged: "seedRateChanged"
            case .insufficientFunds: "insufficientFunds"
            case .memberFrozen: "memberFrozen"
            case .redemptionNotFound: "redemptionNotFound"
            case .withdrawalNotFound: "withdrawalNotFound"
            case .withdrawalSettled: "withdrawalSettled"
            case .refundExceedsRedemption: "refundExceedsRedemption"
            case .belowWithdrawalMinimum: "belowWithdrawalMinimum"
            case .claimNotFound: "claimNotFound"
            case .claimDecided: "claimDecided"
            case .duplicateClaim: "duplicateClaim"
            case .velocityLimit: "velocityLimit"
            }
        }
    }

    /// Why the command was refused.
    public var code: Code
    /// A sentence for a human that names the field, value or state at fault.
    public var message: String

    /// Creates a rejection.
    ///
    /// - Parameters:
    ///   - code: Why the command was refused.
    ///   - message: A sentence for a human that names the field, value or state at fault.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`, for logs.
    public var description: String {
        "\(self.code): \(self.message)"
    }
}
