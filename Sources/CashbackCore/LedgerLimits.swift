/// Every limit the ledger enforces on its input, in one place.
///
/// Commands check their fields against these in their validating initializers; the store's
/// schema repeats the ones it can as CHECK constraints. `LedgerLimitsTests` checks how the
/// limits relate to each other (for example that the largest amount at the largest rate cannot
/// overflow), so changing one here is safe only while those tests pass.
public enum LedgerLimits {
    /// Merchant, order and member ids: UTF-8 bytes, inclusive.
    public static let identifierBytes: ClosedRange<Int> = 1...128

    /// A merchant's display name: UTF-8 bytes, inclusive.
    public static let merchantNameBytes: ClosedRange<Int> = 1...200

    /// The shopper's share of an order: basis points, inclusive (0 % ... 100 %).
    public static let shopperRateBasisPoints: ClosedRange<Int64> = 0...Cashback.basisPointsPerWhole

    /// An order's eligible net amount: minor units, inclusive (up to 10^15, e.g. ten trillion
    /// euros in cents; far above any real order and far below `Int64.max`).
    public static let eligibleMinorUnits: ClosedRange<Int64> = 1...1_000_000_000_000_000

    /// When an order was placed: milliseconds since the Unix epoch, inclusive. The upper bound
    /// is 9999-12-31T23:59:59.999Z, the last instant a four-digit year can name.
    public static let orderedAtMilliseconds: ClosedRange<Int64> = 1...253_402_300_799_999
}
