import CashbackCore

/// The ledger's storage: every command and query the service runs against its books.
///
/// This module holds only the boundary (this protocol, its outcomes and errors) and no
/// database library, so that a second implementation (PostgreSQL, say) can sit beside the
/// SQLite one (`CashbackStore.SQLiteLedgerRepository`) without depending on GRDB.
///
/// Contract shared by all implementations:
/// - A command is answered only after its transaction is committed and durable; a thrown error
///   means nothing of the command was committed (a caller that lost the answer replays it).
/// - Business refusals are values (`LedgerRejection` in a `Result`), checked in the order each
///   method states; a rejected command writes nothing.
/// - Idempotency outranks the current state: a replay (of an order, or of an idempotency key
///   with the same payload) answers the first result even if the state moved on since.
/// - Thrown errors are failures of the store (I/O, corruption, `LedgerStoreError`).
///
/// ```swift
/// let repository: any LedgerRepository = try SQLiteLedgerRepository(path: "/var/lib/ledger.db")
/// switch try await repository.accrue(command) {
/// case .success(let outcome): print(outcome.record.cashbackMinorUnits)
/// case .failure(let rejection): print(rejection)
/// }
/// ```
public protocol LedgerRepository: Sendable {
    /// Registers a merchant or overwrites its name, currency, commission, hold, expiry and
    /// status, idempotently on `upsert.idempotencyKey`.
    ///
    /// Checked in this order: the key already used (same payload: the first outcome comes back
    /// with `replayed == true`; another payload: `idempotencyConflict`); for an existing
    /// merchant, a shopper rate other than the one its first rule set was seeded with
    /// (`seedRateChanged`). Creating a merchant publishes its rule set version 1: a flat
    /// `shopperRateBasisPoints`. The first run records `actor` (the caller's token name) as an
    /// admin action on the merchant.
    func upsertMerchant(
        _ upsert: MerchantUpsert, actor: String
    ) async throws -> Result<MerchantUpsertOutcome, LedgerRejection>

    /// Publishes the next rule-set version of a merchant, idempotently on the key.
    ///
    /// Checked in this order: the key (replay or `idempotencyConflict`); an unknown merchant
    /// (`merchantNotFound`). The first run records `actor` as an admin action on the merchant.
    func publishRuleSet(
        _ publication: RuleSetPublication, actor: String
    ) async throws -> Result<PublishedRuleSet, LedgerRejection>

    /// One rule-set version of a merchant; `version` 0 reads the latest.
    ///
    /// Unknown merchant: `merchantNotFound`; unknown version: `ruleSetNotFound`.
    func ruleSet(
        merchantID: String,
        version: Int64
    ) async throws -> Result<PublishedRuleSet, LedgerRejection>

    /// Prices an order exactly as `accrue(_:)` would now, writing nothing.
    ///
    /// Checked in this order: unknown merchant (`merchantNotFound`), paused merchant
    /// (`merchantPaused`), currency other than the merchant's (`currencyMismatch`), unknown
    /// rule version (`ruleSetNotFound`).
    func quote(_ command: QuoteCommand) async throws -> Result<PricingExplanation, LedgerRejection>

    /// Books the pending cashback of an order, idempotently on (merchant, order id).
    ///
    /// Checked in this order: unknown merchant (`merchantNotFound`); then, for an order already
    /// accrued, its booking: the same member, lines, amount, currency, order time, segments
    /// and rule version (0 matches any) is a replay (the first record comes back with
    /// `replayed == true` and nothing is written), anything else is `orderConflict`; then, for
    /// a new order, as `quote(_:)`: `merchantPaused`, `currencyMismatch`, `ruleSetNotFound`.
    /// The accrual locks the rule version, the commission rate and the hold.
    ///
    /// - Throws: A store failure, including `LedgerStoreError.Code.balanceOutOfRange`.
    func accrue(_ command: AccrueCommand) async throws -> Result<AccrueOutcome, LedgerRejection>

    /// Confirms an order: its pending cashback becomes available (paying off the member's debt
    /// first) and counts towards lifetime.
    ///
    /// Confirming a confirmed accrual returns it unchanged; a cancelled one is refused with
    /// `confirmAfterCancel`; an unknown order with `accrualNotFound`.
    func confirm(_ ref: OrderReference) async throws -> Result<AccrualRecord, LedgerRejection>

    /// Cancels an order: its pending cashback and the commission are reversed.
    ///
    /// Cancelling a cancelled accrual returns it unchanged; a confirmed one is refused with
    /// `cancelAfterConfirm` (refund it with `adjust(_:)`); an unknown order with
    /// `accrualNotFound`.
    func cancel(_ ref: OrderReference) async throws -> Result<AccrualRecord, LedgerRejection>

    /// Applies a refund to an accrual, idempotently on the key.
    ///
    /// Checked in this order: the key (replay or `idempotencyConflict`); unknown order
    /// (`accrualNotFound`); a cancelled accrual (`adjustmentRefused`); the change itself
    /// (`Adjustment.lines(after:of:)`); an accrual that already had
    /// `LedgerLimits.adjustmentsPerAccrualMax` adjustments (`adjustmentRefused`). A change that
    /// refunds nothing is answered without writing anything but the key. The cashback is
    /// priced again with the accrual's own rule version and never rises. On a pending accrual the pending cashback falls; on a
    /// confirmed one the clawback comes out of available first and the rest becomes debt.
    func adjust(_ command: AdjustCommand) async throws -> Result<AdjustOutcome, LedgerRejection>

    /// The accrual as it is now, with its history; unknown order: `accrualNotFound`.
    func accrual(_ ref: OrderReference) async throws -> Result<AccrualDetails, LedgerRejection>

    /// A member's balance in one currency, with the next expiry; all zeros for a member the
    /// ledger never credited.
    ///
    /// Reads a committed snapshot without waiting for the writer.
    func balance(memberID: String, currency: CurrencyCode) async throws -> Balance

    /// Spends available cashback, idempotently on the key.
    ///
    /// Checked in this order: the key (replay or `idempotencyConflict`); a frozen member
    /// (`memberFrozen`); an amount above available (`insufficientFunds`). The lots that
    /// expire soonest are spent first.
    func redeem(_ command: RedeemCommand) async throws -> Result<RedemptionOutcome, LedgerRejection>

    /// Refunds (part of) a redemption into the lots it came from, idempotently on the key.
    ///
    /// Checked in this order: the key; unknown redemption (`redemptionNotFound`); more than
    /// is left of it (`refundExceedsRedemption`).
    func refundRedemption(
        _ command: RedemptionRefundCommand
    ) async throws -> Result<RedemptionOutcome, LedgerRejection>

    /// Reserves available cashback for a payout, idempotently on the key.
    ///
    /// Checked in this order: the key; a frozen member (`memberFrozen`); an amount below the
    /// currency's minimum (`belowWithdrawalMinimum`); above available (`insufficientFunds`).
    func withdraw(_ command: WithdrawCommand) async throws -> Result<WithdrawalRecord, LedgerRejection>

    /// Completes (reserved → withdrawn) or fails (reserved → available, back into its lots) a
    /// withdrawal, idempotently on the key; settling it again the same way answers it as it
    /// is, the other way is `withdrawalSettled`; unknown: `withdrawalNotFound`.
    func settleWithdrawal(
        _ command: WithdrawalSettlementCommand
    ) async throws -> Result<WithdrawalRecord, LedgerRejection>

    /// Withdrawals in id order after `afterID`, in `state` (nil: any), at most `limit`.
    func withdrawals(state: WithdrawalState?, afterID: Int64, limit: Int) async throws
        -> [WithdrawalRecord]

    /// Freezes or unfreezes a member, idempotently on the key; the actor and the reason are
    /// kept forever.
    func setFrozen(
        _ command: MemberFreezeCommand
    ) async throws -> Result<MemberFreezeOutcome, LedgerRejection>

    /// Files a claim for an order that was never credited, idempotently on the key.
    ///
    /// Checked in this order: the key; unknown merchant (`merchantNotFound`); an order already
    /// accrued, or already claimed by an open or approved claim (`duplicateClaim`).
    func fileClaim(_ filing: ClaimFiling) async throws -> Result<ClaimRecord, LedgerRejection>

    /// Approves (booking a pending accrual from the claim, linked both ways) or rejects a
    /// claim, idempotently on the key. Deciding it again the same way answers it as it is;
    /// the other way is `claimDecided`; unknown: `claimNotFound`. An approval is refused as
    /// `accrue(_:)` would refuse the order (`merchantPaused`, `currencyMismatch`, …).
    func decideClaim(_ decision: ClaimDecision) async throws -> Result<ClaimRecord, LedgerRejection>

    /// Claims in id order after `afterID`, in `state` (nil: any), at most `limit`.
    func claims(state: ClaimState?, afterID: Int64, limit: Int) async throws -> [ClaimRecord]

    /// Credits or debits a member's available balance by hand, idempotently on the key; a
    /// debit beyond available is `insufficientFunds`. The actor and the reason are kept.
    func adjustBalance(
        _ adjustment: BalanceAdjustment
    ) async throws -> Result<BalanceAdjustmentOutcome, LedgerRejection>

    /// Moves what is left of lots expired by `asOf` from available to expired, idempotently on
    /// the key; at most `LedgerLimits.expiryLotsPerRun` lots per run. The first run records
    /// `actor` as an admin action.
    func runExpiry(
        _ command: ExpiryRunCommand, actor: String
    ) async throws -> Result<ExpiryRunOutcome, LedgerRejection>

    /// A member's history in one currency, newest first: every journal entry that moved one of
    /// the member's balances, and every admin action on the member that moved none (freeze,
    /// unfreeze, a rejected claim). `before` continues after a page's last `cursor`.
    func history(
        memberID: String, currency: CurrencyCode, before: HistoryCursor?, limit: Int
    ) async throws -> [HistoryEntry]

    /// Totals booked in `[from, to)` in one currency, in all and per merchant.
    func stats(currency: CurrencyCode, fromMilliseconds: Int64, toMilliseconds: Int64)
        async throws -> LedgerStats

    /// One page of the journal: entries in id order after `afterID`, with their lines, at most
    /// `limit` (1 to `LedgerLimits.journalPageMax`), from one committed snapshot. An export
    /// reads page after page, so no transaction stays open while it is sent.
    func journalEntries(afterID: Int64, limit: Int) async throws -> [ExportedJournalEntry]

    /// Checks every invariant of the books on one consistent snapshot and lists each breach
    /// (see `BooksDiscrepancy`).
    func verifyBooks() async throws -> BooksReport
}
