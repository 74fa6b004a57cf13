import CashbackCore
import CashbackRepository
import Logging
import RPC

/// How ledger outcomes become RPC statuses. Defined once, so every method answers alike.
enum LedgerStatus {
    /// The status of a business rejection.
    static func error(for rejection: LedgerRejection) -> RPCError {
        let code: RPCStatusCode =
            switch rejection.code {
            case .invalidArgument, .currencyMismatch, .belowWithdrawalMinimum: .invalidArgument
            case .merchantNotFound, .accrualNotFound, .ruleSetNotFound, .redemptionNotFound,
                .withdrawalNotFound, .claimNotFound:
                .notFound
            case .orderConflict, .idempotencyConflict, .duplicateClaim: .alreadyExists
            case .velocityLimit: .resourceExhausted
            case .confirmAfterCancel, .cancelAfterConfirm, .merchantPaused, .adjustmentRefused,
                .seedRateChanged, .insufficientFunds, .memberFrozen, .withdrawalSettled,
                .refundExceedsRedemption, .claimDecided:
                .failedPrecondition
            }
        return RPCError(code, rejection.message)
    }

    /// Unwraps a ledger result or throws the rejection's status.
    static func value<T>(_ result: Result<T, LedgerRejection>) throws(RPCError) -> T {
        switch result {
        case .success(let value): return value
        case .failure(let rejection): throw error(for: rejection)
        }
    }

    /// Runs a validating initializer; a rejection becomes INVALID_ARGUMENT.
    static func validated<T>(_ make: () throws(LedgerRejection) -> T) throws(RPCError) -> T {
        do throws(LedgerRejection) {
            return try make()
        } catch {
            throw Self.error(for: error)
        }
    }

    /// Runs a store call; a store failure is logged and answered INTERNAL. The store's contract
    /// is that a thrown error committed nothing, so the caller may retry the same command.
    static func storing<T: Sendable>(
        _ logger: Logger, _ what: String, _ call: () async throws -> T
    ) async throws(RPCError) -> T {
        do {
            return try await call()
        } catch let error as RPCError {
            throw error
        } catch is CancellationError {
            throw RPCError(.cancelled, "the call was cancelled")
        } catch let error as LedgerStoreError where error.code == .balanceOutOfRange {
            // Not transient: the same command would overflow again, so it must not read as a
            // retryable storage failure.
            throw RPCError(
                .failedPrecondition,
                "\(what) would take a balance out of its range; nothing was applied")
        } catch let error as LedgerStoreError where error.code == .writeQueueFull {
            // Transient and the caller's to pace: gRPC's status for "out of capacity now".
            throw RPCError(.resourceExhausted, error.message)
        } catch {
            logger.error("ledger failure", metadata: ["call": "\(what)", "error": "\(error)"])
            throw RPCError(.internal, "storage failure during \(what); nothing was applied")
        }
    }
}
