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
    /// The cases are ordered by precedence: when several apply, a command is refused with the
    /// one that has the lowest raw value, with one exception: an order already accrued is
    /// judged against its own booking (replay or `orderConflict`) before `currencyMismatch`,
    /// so that idempotency survives a change of the merchant's currency. Raw values go on the
    /// wire and are never renumbered; a new code takes the next free number.
    ///
    /// The server maps them to RPC status codes: `invalidArgument` and `currencyMismatch` to
    /// INVALID_ARGUMENT, `merchantNotFound` and `accrualNotFound` to NOT_FOUND,
    /// `orderConflict` to ALREADY_EXISTS, `confirmAfterCancel` and `cancelAfterConfirm` to
    /// FAILED_PRECONDITION. None of them is transient: retrying the same command gives the
    /// same answer until some other command changes the state.
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
