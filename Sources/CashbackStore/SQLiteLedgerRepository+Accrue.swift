import CashbackCore
import GRDB

extension SQLiteLedgerRepository {
    /// Books the pending cashback of an order, idempotently on (merchant, order id).
    ///
    /// See `LedgerRepository.accrue(_:)` for the rules and their order.
    ///
    /// ```swift
    /// switch try await repository.accrue(command) {
    /// case .success(let outcome): print(outcome.record.cashbackMinorUnits, outcome.replayed)
    /// case .failure(let rejection): print(rejection.code)
    /// }
    /// ```
    ///
    /// - Parameter command: The validated accrual.
    /// - Returns: The outcome once committed, or the rejection (nothing written).
    /// - Throws: `LedgerStoreError` (`.balanceOutOfRange`, `.corruptRow`) or a database error;
    ///   the transaction was rolled back.
    public func accrue(
        _ command: AccrueCommand
    ) async throws -> Result<AccrueOutcome, LedgerRejection> {
        let now = Self.nowMilliseconds()
        return try await self.pool.write { db in
            try Self.accrue(command, in: db, nowMilliseconds: now)
        }
    }

    /// The body of `accrue(_:)`, inside the writer's transaction.
    static func accrue(
        _ command: AccrueCommand,
        in db: Database,
        nowMilliseconds: Int64
    ) throws -> Result<AccrueOutcome, LedgerRejection> {
        // Checks come before the first write, so a rejection leaves nothing to roll back. An
        // order already accrued is judged against its own booking before anything about the
        // merchant's current settings: a replay must answer the first result even after the
        // merchant changed its currency (idempotency outranks `currencyMismatch`).
        guard let merchant = try MerchantsTable.fetch(db, merchantID: command.merchantID) else {
            return .failure(
                LedgerRejection(
                    .merchantNotFound,
                    "merchant '\(command.merchantID)' is not registered"
                )
            )
        }
        if let existing = try AccrualsTable.fetch(db, command.orderReference) {
            return Self.replayOrConflict(command, existing: existing)
        }
        guard merchant.currency == command.currency else {
            return .failure(
                LedgerRejection(
                    .currencyMismatch,
                    "currency \(command.currency) does not match merchant '\(merchant.merchantID)' "
                        + "currency \(merchant.currency)"
                )
            )
        }

        // The rate is read and locked in the same transaction that books the accrual, so a
        // concurrent rate change applies either wholly before or wholly after this order.
        let cashback = Cashback.amountMinorUnits(
            eligibleMinorUnits: command.eligibleMinorUnits,
            rateBasisPoints: merchant.shopperRateBasisPoints
        )
        let record = try AccrualsTable.insertPending(
            db,
            command,
            rateBasisPoints: merchant.shopperRateBasisPoints,
            cashbackMinorUnits: cashback,
            nowMilliseconds: nowMilliseconds
        )
        try LedgerPosting.accrual(of: record).book(
            db,
            for: record,
            nowMilliseconds: nowMilliseconds
        )
        return .success(AccrueOutcome(record: record, replayed: false))
    }

    /// A replay if `command` carries exactly the payload `existing` was accrued with, else a
    /// conflict naming every field that differs.
    static func replayOrConflict(
        _ command: AccrueCommand,
        existing: AccrualRecord
    ) -> Result<AccrueOutcome, LedgerRejection> {
        var differing: [String] = []
        // Byte-wise, as the database compares ids: Swift's `==` on strings would call two
        // canonically equivalent but differently encoded member ids equal.
        if !existing.memberID.utf8.elementsEqual(command.memberID.utf8) {
            differing.append("memberId")
        }
        if existing.eligibleMinorUnits != command.eligibleMinorUnits {
            differing.append("amountMinor")
        }
        if existing.currency != command.currency {
            differing.append("currency")
        }
        if existing.orderedAtMilliseconds != command.orderedAtMilliseconds {
            differing.append("orderedAtMs")
        }
        guard differing.isEmpty else {
            return .failure(
                LedgerRejection(
                    .orderConflict,
                    "\(command.orderReference) was already accrued with a different "
                        + differing.joined(separator: ", ")
                )
            )
        }
        return .success(AccrueOutcome(record: existing, replayed: true))
    }
}
