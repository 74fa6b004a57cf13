/// Every limit the ledger enforces on its input, in one place.
///
/// Commands check their fields against these in their validating initializers; the store's
/// schema repeats the ones it can as CHECK constraints. `LedgerLimitsTests` checks how the
/// limits relate to each other (for example that the largest amount at the largest rate cannot
/// overflow), so changing one here is safe only while those tests pass.
public enum LedgerLimits {
    /// Every identifier (merchant, order, member, sku, category, segment and campaign ids,
    /// idempotency keys): UTF-8 bytes, inclusive. The rest of the policy is in
    /// `FieldValidation.identifier`.
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

    /// A merchant's commission, paid by the store per order: basis points of the eligible
    /// amount, inclusive (0 % ... 100 %).
    public static let commissionBasisPoints: ClosedRange<Int64> = 0...Cashback.basisPointsPerWhole

    /// A merchant's hold (return window) and cashback expiry: days, inclusive. Ten years is
    /// far beyond any real window and keeps `days × 86 400 000` ms well inside `Int64`.
    public static let merchantDays: ClosedRange<Int64> = 0...3_650

    /// Lines of one order, inclusive. An order without lines is priced as one line.
    public static let orderLinesMax = 100

    /// Member segments sent with one order, inclusive.
    public static let orderSegmentsMax = 16

    /// Category rules of one rule set.
    public static let ruleCategoriesMax = 200

    /// Tiers of one rule set.
    public static let ruleTiersMax = 32

    /// Campaigns of one rule set.
    public static let ruleCampaignsMax = 64

    /// Amounts a rule set names (minimum order, cap, fixed amount, tier bounds): minor units,
    /// inclusive. The upper bound is the largest eligible amount.
    public static let ruleAmountMinorUnits: ClosedRange<Int64> = 0...1_000_000_000_000_000

    /// Campaign windows: milliseconds since the Unix epoch, inclusive (as order times).
    public static let campaignMilliseconds: ClosedRange<Int64> = 0...253_402_300_799_999

    /// Rule-set versions a request may name: 0 means "the latest".
    public static let ruleVersion: ClosedRange<Int64> = 0...Int64(Int32.max)

    /// Free-text reasons kept with an adjustment: UTF-8 bytes, inclusive.
    public static let reasonBytes: ClosedRange<Int> = 0...500

    /// Adjustments one accrual takes, so that its history (and a GetAccrual answer) stays
    /// bounded; an adjustment that changes nothing is not counted.
    public static let adjustmentsPerAccrualMax = 1_000

    /// Lots one expiry run expires; a run that leaves more says so.
    public static let expiryLotsPerRun = 10_000

    /// Withdrawals one ListWithdrawals page holds.
    public static let withdrawalsPageMax = 500

    /// A claim's details: UTF-8 bytes, inclusive.
    public static let claimDetailsBytes: ClosedRange<Int> = 0...1_000

    /// Entries one ListHistory page holds.
    public static let historyPageMax = 500

    /// Claims one ListClaims page holds: 200 claims of the largest size stay well below the
    /// default 1 MiB message limit.
    public static let claimsPageMax = 200

    /// Entries one ExportJournal call streams, and its default.
    public static let journalExportEntriesMax = 100_000

    /// Entries the store reads for an export in one snapshot: memory stays bounded and no
    /// read transaction outlives a page.
    public static let journalPageMax = 500

    /// Milliseconds in one day, for hold and expiry windows.
    public static let millisecondsPerDay: Int64 = 86_400_000
}
