/// A validated request to publish a merchant's next rule-set version.
public struct RuleSetPublication: Hashable, Sendable, Codable {
    /// The merchant.
    public let merchantID: String
    /// The validated rules.
    public let rules: RuleSet
    /// The caller's key for this command.
    public let idempotencyKey: IdempotencyKey

    /// Validates the merchant id and the key; `rules` comes from `RuleSet(validating:…)`.
    ///
    /// - Throws: `LedgerRejection` with code `.invalidArgument` naming the field.
    public init(merchantID: String, rules: RuleSet, idempotencyKey: String) throws(LedgerRejection)
    {
        try FieldValidation.identifier(merchantID, field: "merchantId")
        self.merchantID = merchantID
        self.rules = rules
        self.idempotencyKey = try IdempotencyKey(validating: idempotencyKey)
    }
}
