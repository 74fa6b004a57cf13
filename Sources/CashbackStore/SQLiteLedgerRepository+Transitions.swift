import CashbackCore
import CashbackRepository
import GRDB

extension SQLiteLedgerRepository {
    /// Confirms an order: pending cashback pays off the member's debt first, the rest becomes
    /// available; all of it counts towards lifetime.
    ///
    /// See `LedgerRepository.confirm(_:)`.
    public func confirm(
        _ ref: OrderReference
    ) async throws -> Result<AccrualRecord, LedgerRejection> {
        try await self.apply(.confirm, to: ref)
    }

    /// Cancels an order: pending cashback and commission are reversed.
    ///
    /// See `LedgerRepository.cancel(_:)`.
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
        let now = self.clock()
        return try await self.writer.perform(refusable: { db in
            try Self.apply(event, to: ref, in: db, nowMilliseconds: now)
        })
    }

    /// The body of `apply(_:to:)`, inside the writer's transaction.
    static func apply(
        _ event: AccrualEvent,
        to ref: OrderReference,
        in db: Database,
        nowMilliseconds: Int64
    ) throws -> Result<AccrualRecord, LedgerRejection> {
        guard let record = try AccrualsTable.fetch(db, ref)?.record else {
            return .failure(LedgerRejection(.accrualNotFound, "no accrual for \(ref)"))
        }
        switch record.state.action(on: event) {
        case .alreadyInState:
            return .success(record)
        case .reject(let rejection):
            return .failure(LedgerRejection(rejection.code, "\(ref): \(rejection.message)"))
        case .transition(to: let next):
            let posting: LedgerPosting
            switch next {
            case .confirmed:
                let balance = try BalancesTable.fetch(
                    db, memberID: record.memberID, currency: record.currency)
                posting = .confirmation(of: record, debtMinorUnits: balance?.debtMinorUnits ?? 0)
            case .cancelled:
                posting = .cancellation(of: record)
            case .pending:
                preconditionFailure("no event moves an accrual back to pending")
            }
            try AccrualsTable.updateState(
                db, accrualID: record.accrualID, from: record.state, to: next,
                nowMilliseconds: nowMilliseconds)
            let payoff = -posting.delta.debtMinorUnits
            try posting.book(
                db, for: record, note: payoff > 0 ? "paid off \(payoff) of debt" : "",
                nowMilliseconds: nowMilliseconds)
            if posting.delta.availableMinorUnits > 0 {
                // What reaches available forms a lot that expires the merchant's expiry days
                // after this confirmation (never when the merchant says 0).
                let days = try MerchantsTable.fetch(db, merchantID: record.merchantID)?
                    .cashbackExpiryDays ?? 0
                try LotsTable.insert(
                    db, memberID: record.memberID, currency: record.currency,
                    accrualID: record.accrualID,
                    amountMinorUnits: posting.delta.availableMinorUnits,
                    expiresAtMilliseconds: days == 0
                        ? nil : nowMilliseconds + days * LedgerLimits.millisecondsPerDay,
                    nowMilliseconds: nowMilliseconds)
            }
            try AccrualEventsTable.append(
                db, accrualID: record.accrualID,
                AccrualChange(
                    kind: next == .confirmed ? .confirm : .cancel,
                    atMilliseconds: nowMilliseconds, state: next,
                    eligibleMinorUnits: record.eligibleMinorUnits,
                    cashbackMinorUnits: next == .confirmed ? record.cashbackMinorUnits : 0,
                    cashbackDeltaMinorUnits: next == .confirmed ? 0 : -record.cashbackMinorUnits,
                    // A confirmation pays debt off first: how much, for the history.
                    debtMinorUnits: -posting.delta.debtMinorUnits, idempotencyKey: "",
                    reason: ""))
            var moved = record
            moved.state = next
            return .success(moved)
        }
    }
}
