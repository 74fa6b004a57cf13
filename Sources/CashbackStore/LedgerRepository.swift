import CashbackCore

/// The ledger's storage: every command and query the service runs against its books.
///
/// Contract shared by all implementations:
/// - A command is answered only after its transaction is committed and durable; a thrown error
///   means nothing of the command was committed (a caller that lost the answer replays it).
/// - Business refusals are values (`LedgerRejection` in a `Result`), checked in the precedence
///   order of `LedgerRejection.Code`; a rejected command writes nothing.
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
    /// Registers a merchant or changes its name, currency or rate.
    ///
    /// Accruals already booked keep the rate and currency they were booked with.
    ///
    /// - Parameter merchant: The validated merchant.
    /// - Returns: The merchant as stored and whether this call created it.
    /// - Throws: A store failure.
    func upsertMerchant(_ merchant: MerchantUpsert) async throws -> MerchantUpsertOutcome

    /// Books the pending cashback of an order, idempotently on (merchant, order id).
    ///
    /// Checked in this order: unknown merchant (`merchantNotFound`); then, for an order already
    /// accrued, its booking: the same member, amount, currency and order time is a replay (the
    /// first record comes back with `replayed == true` and nothing is written), anything else
    /// is `orderConflict`; then, for a new order, a currency other than the merchant's
    /// (`currencyMismatch`). Idempotency outranks the merchant's current settings, so a replay
    /// answers the first result even after the merchant changed its currency.
    /// Otherwise the cashback is computed at the merchant's current rate, which the accrual
    /// locks, and the accrual, its journal entry and the member's pending balance are written
    /// in one transaction.
    ///
    /// - Parameter command: The validated accrual.
    /// - Returns: The outcome, or the rejection.
    /// - Throws: A store failure, including `LedgerStoreError.Code.balanceOutOfRange`.
    func accrue(_ command: AccrueCommand) async throws -> Result<AccrueOutcome, LedgerRejection>

    /// Confirms an order: its pending cashback becomes available and counts towards lifetime.
    ///
    /// Confirming a confirmed accrual returns it unchanged; a cancelled one is refused with
    /// `confirmAfterCancel`; an unknown order with `accrualNotFound`.
    ///
    /// - Parameter ref: The order to confirm.
    /// - Returns: The accrual after the call, or the rejection.
    /// - Throws: A store failure.
    func confirm(_ ref: OrderReference) async throws -> Result<AccrualRecord, LedgerRejection>

    /// Cancels an order: its pending cashback is reversed.
    ///
    /// Cancelling a cancelled accrual returns it unchanged; a confirmed one is refused with
    /// `cancelAfterConfirm`; an unknown order with `accrualNotFound`.
    ///
    /// - Parameter ref: The order to cancel.
    /// - Returns: The accrual after the call, or the rejection.
    /// - Throws: A store failure.
    func cancel(_ ref: OrderReference) async throws -> Result<AccrualRecord, LedgerRejection>

    /// A member's balance in one currency; all zeros for a member the ledger never credited.
    ///
    /// Reads a committed snapshot without waiting for the writer.
    ///
    /// - Parameters:
    ///   - memberID: The member's id.
    ///   - currency: The currency.
    /// - Returns: The balance.
    /// - Throws: A store failure.
    func balance(memberID: String, currency: CurrencyCode) async throws -> Balance

    /// Proves the books: every journal entry sums to zero, and every member's materialized
    /// balance equals what its journal lines (and its accruals) say.
    ///
    /// Runs on one consistent snapshot.
    ///
    /// - Returns: What was checked and every discrepancy found (none when balanced).
    /// - Throws: A store failure.
    func verifyBooks() async throws -> BooksReport
}
