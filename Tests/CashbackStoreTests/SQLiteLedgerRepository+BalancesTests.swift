import CashbackCore
import CashbackRepository
import Dispatch
import Testing
@testable import CashbackStore

@Suite("SQLiteLedgerRepository.balance")
struct SQLiteLedgerRepositoryBalancesTests {
    @Test("a member never credited, or another currency, reads as zeros")
    func unknownMemberIsZero() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual())
            #expect(
                try await repository.euroBalance("member-9")
                    == .zero(memberID: "member-9", currency: try euro())
            )
            let dollars = try CurrencyCode(validating: "USD")
            #expect(
                try await repository.balance(memberID: "member-1", currency: dollars)
                    == .zero(memberID: "member-1", currency: dollars)
            )
        }
    }

    @Test("balances are per member")
    func perMember() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual("order-1", memberID: "member-1"))
            _ = try await repository.accrue(
                try accrual("order-2", memberID: "member-2", eligibleMinorUnits: 40_000)
            )
            #expect(try await repository.euroBalance("member-1").pendingMinorUnits == 500)
            #expect(try await repository.euroBalance("member-2").pendingMinorUnits == 2_000)
        }
    }

    /// The writer holds a transaction open (without committing) until the read is done. A read
    /// that waited behind the writer would only return after the writer's safety timeout, with
    /// the committed value, and fail the value check: no assertion on time is made.
    @Test("a read runs on a snapshot while a write transaction is open")
    func readsDoNotWaitForTheWriter() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual())
            let entered = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            async let write: Void = repository.executeBypassingLedgerForTesting(
                sql: "UPDATE balances SET pending_minor = 999",
                beforeCommit: {
                    entered.signal()
                    _ = release.wait(timeout: .now() + .seconds(60))
                }
            )
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    entered.wait()
                    continuation.resume()
                }
            }
            let during = try await repository.euroBalance()
            release.signal()
            try await write
            #expect(during.pendingMinorUnits == 500)
            #expect(try await repository.euroBalance().pendingMinorUnits == 999)
        }
    }
}
