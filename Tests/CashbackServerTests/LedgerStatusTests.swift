import CashbackCore
import CashbackRepository
@testable import CashbackServer
import CashbackStore
import Logging
import RPC
import Testing

/// How ledger outcomes and store failures become statuses.
@Suite struct LedgerStatusTests {
    static let logger = Logger(label: "test")

    @Test(arguments: [
        (LedgerRejection.Code.invalidArgument, RPCStatusCode.invalidArgument),
        (.merchantNotFound, .notFound), (.currencyMismatch, .invalidArgument),
        (.orderConflict, .alreadyExists), (.accrualNotFound, .notFound),
        (.confirmAfterCancel, .failedPrecondition), (.cancelAfterConfirm, .failedPrecondition),
        (.merchantPaused, .failedPrecondition), (.ruleSetNotFound, .notFound),
        (.idempotencyConflict, .alreadyExists), (.adjustmentRefused, .failedPrecondition),
        (.seedRateChanged, .failedPrecondition), (.insufficientFunds, .failedPrecondition),
        (.memberFrozen, .failedPrecondition), (.redemptionNotFound, .notFound),
        (.withdrawalNotFound, .notFound), (.withdrawalSettled, .failedPrecondition),
        (.refundExceedsRedemption, .failedPrecondition),
        (.belowWithdrawalMinimum, .invalidArgument), (.claimNotFound, .notFound),
        (.claimDecided, .failedPrecondition), (.duplicateClaim, .alreadyExists),
        (.velocityLimit, .resourceExhausted),
    ])
    func everyRejectionHasItsStatus(_ code: LedgerRejection.Code, _ status: RPCStatusCode) {
        #expect(LedgerRejection.Code.allCases.count == 23, "a new code needs a row here")
        let error = LedgerStatus.error(for: LedgerRejection(code, "why"))
        #expect(error.code == status)
        #expect(error.message == "why")
    }

    @Test func aBalanceOverflowIsNotARetryableStorageFailure() async {
        await #expect {
            _ = try await LedgerStatus.storing(Self.logger, "Accrue") { () async throws -> Int in
                throw LedgerStoreError(.balanceOutOfRange, "pending would overflow")
            }
        } throws: { ($0 as? RPCError)?.code == .failedPrecondition }
    }

    @Test func aFullWriteQueueIsResourceExhaustedWithTheStoresWords() async {
        await #expect {
            _ = try await LedgerStatus.storing(Self.logger, "Accrue") { () async throws -> Int in
                throw LedgerStoreError(.writeQueueFull, "the ledger's write queue is full")
            }
        } throws: { error in
            guard let error = error as? RPCError else { return false }
            return error.code == .resourceExhausted && error.message.contains("write queue is full")
        }
    }

    @Test func otherStoreFailuresAreInternalAndSayNothingWasApplied() async {
        struct DiskFull: Error {}
        await #expect {
            _ = try await LedgerStatus.storing(Self.logger, "Accrue") { () async throws -> Int in
                throw DiskFull()
            }
        } throws: { error in
            guard let error = error as? RPCError else { return false }
            return error.code == .internal && error.message.contains("nothing was applied")
        }
    }
}
