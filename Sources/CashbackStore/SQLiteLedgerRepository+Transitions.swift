import CashbackCore
import GRDB

extension SQLiteLedgerRepository {
    /// Confirms an order: pending cashback becomes available and counts towards lifetime.
    ///
    /// See `LedgerRepository.confirm(_:)`.
    ///
    /// ```swift
    /// let result = try await repository.confirm(try OrderReference(merchantID: "m", orderID: "o"))
    /// ```
    ///
    /// - Parameter ref: The order to confirm.
    /// - Returns: The accrual once committed, or the rejection (nothing written).
    /// - Throws: `LedgerStoreError` or a database error; the transaction was rolled back.
    public func confirm(
        _ ref: OrderReference
    ) async throws -> Result<AccrualRecord, LedgerRejection> {
        try await self.apply(.confirm, to: ref)
    }

    /// Cancels an order: pending cashback is reversed.
    ///
    /// See `LedgerRepository.cancel(_:)`.
    ///
    /// ```swift
    /// let result = try await repository.cancel(try OrderReference(merchantID: "m", orderID: "o"))
    /// ```
    ///
    /// - Parameter ref: The order to cancel.
    /// - Returns: The accrual once committed, or the rejection (nothing written).
    /// - Throws: `LedgerStoreError` or a database error; the transaction was rolled back.
    public func cancel(
        _ ref: OrderReference
    ) async throws -> Result<AccrualRecord, LedgerRejection> {
        try await self.apply(.cancel, to: ref)
    }

    /// Runs `event` through the accrual state machine and carries out its action in one
    /// write transaction.
    private func apply(
        _ event: AccrualEvent,
        to ref: OrderReference
    ) async throws -> Result<AccrualRecord, LedgerRejection> {
        let now = Self.nowMilliseconds()
        return try await self.pool.write { db in
            try Self.apply(event, to: ref, in: db, nowMilliseconds: now)
        }
    }

    /// The body of `apply(_:to:)`, inside the writer's transaction.
    static func apply(
        _ event: AccrualEvent,
        to ref: OrderReference,
        in db: Database,
        nowMilliseconds: Int64
    ) throws -> Result<AccrualRecord, LedgerRejection> {
        guard let record = try AccrualsTable.fetch(db, ref) else {
            return .failure(LedgerRejection(.accrualNotFound, "no accrual for \(ref)"))
        }
        switch record.state.action(on: event) {
        case .alreadyInState:
            return .success(record)
        case .reject(let rejection):
            return .failure(LedgerRejection(rejection.code, "\(ref): \(rejection.message)"))
        case .transition(to: let next):
            try AccrualsTable.updateState(
                db,
                accrualID: record.accrualID,
                from: record.state,
                to: next,
                nowMilliseconds: nowMilliseconds
            )
            let posting = LedgerPosting.transition(of: record, to: next)
            try posting.book(db, for: record, nowMilliseconds: nowMilliseconds)
            var moved = record
            moved.state = next
            return .success(moved)
        }
    }
}
