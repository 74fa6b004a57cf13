/// A validated balance query: which member, in which currency.
///
/// ```swift
/// let query = try BalanceQuery(memberID: "member-7", currency: "EUR")
/// ```
public struct BalanceQuery: Hashable, Sendable {
    /// The member's id; an identifier (see `FieldValidation.identifier`).
    public let memberID: String
    /// The account's currency.
    public let currency: CurrencyCode

    /// Validates the fields against `LedgerLimits`.
    ///
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the field at fault.
    public init(memberID: String, currency: String) throws(LedgerRejection) {
        try FieldValidation.identifier(memberID, field: "memberId")
        self.currency = try CurrencyCode(validating: currency)
        self.memberID = memberID
    }
}
