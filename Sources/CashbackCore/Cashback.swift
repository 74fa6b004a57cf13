/// The one definition of how cashback is computed from an eligible amount and a rate.
///
/// A quote and an accrual both call this function, so they can never disagree.
public enum Cashback {
    /// The basis points in one whole (100 %).
    public static let basisPointsPerWhole: Int64 = 10_000

    /// The cashback for an eligible amount at a rate, rounded down.
    ///
    /// Computes `floor(eligibleMinorUnits * rateBasisPoints / 10_000)`. The product is taken
    /// at full width (128 bits), so no input in range can overflow, and the result is rounded
    /// down: a fraction of a minor unit always stays with the books, never with the member.
    ///
    /// ```swift
    /// Cashback.amountMinorUnits(eligibleMinorUnits: 1_999, rateBasisPoints: 500)  // 99
    /// Cashback.amountMinorUnits(eligibleMinorUnits: 9_999, rateBasisPoints: 1)    // 0
    /// ```
    ///
    /// - Parameters:
    ///   - eligibleMinorUnits: The order's eligible net amount in minor units; must be `>= 0`.
    ///   - rateBasisPoints: The shopper's rate in basis points; must be in `0...10_000`.
    /// - Returns: The cashback in minor units, in `0...eligibleMinorUnits`.
    /// - Precondition: Both arguments are in range; validated commands guarantee it, so a
    ///   value out of range here is a bug and stops the process.
    public static func amountMinorUnits(eligibleMinorUnits: Int64, rateBasisPoints: Int64) -> Int64
    {
        precondition(eligibleMinorUnits >= 0, "eligible amount must not be negative")
        precondition(rateBasisPoints >= 0, "rate must not be negative")
        precondition(rateBasisPoints <= Self.basisPointsPerWhole, "rate must be at most 100 %")

        let product = eligibleMinorUnits.multipliedFullWidth(by: rateBasisPoints)
        // Both factors are non-negative, so truncating division is floor division, and with
        // a rate of at most 10_000 bps the quotient is at most `eligibleMinorUnits`: it fits.
        let (quotient, _) = Self.basisPointsPerWhole.dividingFullWidth(product)

        assert(quotient >= 0)
        assert(quotient <= eligibleMinorUnits)
        return quotient
    }
}
