import CashbackCore
import CashbackRepository
import Testing
@testable import CashbackStore

@Suite("SQLiteLedgerRepository back office: claims, manual adjustments, velocity limits")
struct SQLiteLedgerRepositoryBackOfficeTests {
    static func filing(_ orderID: String = "lost-1", key: String = "c-1", amount: Int64 = 10_000)
        throws -> ClaimFiling
    {
        try ClaimFiling(
            memberID: "member-1", merchantID: "shop-1", orderID: orderID, amountMinorUnits: amount,
            currency: "EUR", orderedAtMilliseconds: 1_700_000_000_000,
            details: "bought a lamp on 14 Nov, confirmation mail attached", idempotencyKey: key)
    }

    static func decision(_ claimID: Int64, approve: Bool, key: String) throws -> ClaimDecision {
        try ClaimDecision(
            claimID: claimID, approve: approve, actor: "ops-anna", reason: "receipt checked",
            idempotencyKey: key)
    }

    @Test("an approved claim books a pending accrual linked both ways; decided once")
    func approve() async throws {
        try await withLedger { repository in
            let claim = try await repository.fileClaim(try Self.filing()).get()
            #expect(claim.state == .pending)
            #expect(try await repository.fileClaim(try Self.filing()).get().replayed)
            #expect(
                try await repository.fileClaim(try Self.filing(key: "c-2")).failure?.code
                    == .duplicateClaim)

            let approved = try await repository.decideClaim(
                try Self.decision(claim.claimID, approve: true, key: "d-1")).get()
            #expect(approved.state == .approved && approved.accrualID > 0)
            #expect(approved.decidedBy == "ops-anna")
            let accrual = try await repository.accrual(try order("lost-1")).get().record
            #expect(accrual.accrualID == approved.accrualID)
            #expect(accrual.state == .pending && accrual.cashbackMinorUnits == 500)
            #expect(try await repository.euroBalance().pendingMinorUnits == 500)

            // Approving again answers it; rejecting it now is refused.
            #expect(
                try await repository.decideClaim(
                    try Self.decision(claim.claimID, approve: true, key: "d-2")
                ).get().accrualID == approved.accrualID)
            #expect(
                try await repository.decideClaim(
                    try Self.decision(claim.claimID, approve: false, key: "d-3")
                ).failure?.code == .claimDecided)
            // The order is credited now: claiming it again is a duplicate.
            #expect(
                try await repository.fileClaim(try Self.filing(key: "c-3")).failure?.code
                    == .duplicateClaim)
            #expect(try await repository.claims(state: .approved, afterID: 0, limit: 10).count == 1)
            #expect(try await repository.verifyBooks().discrepancies == [])

            // Verify notices an approval whose accrual no longer points back at the claim.
            try await repository.executeBypassingLedgerForTesting(
                sql: "UPDATE accruals SET claim_id = NULL")
            let kinds = try await repository.verifyBooks().discrepancies.map(\.kind)
            #expect(kinds == ["claimDecision"])
        }
    }

    @Test("a rejected claim keeps its reason, books nothing, and frees the order for a new claim")
    func reject() async throws {
        try await withLedger { repository in
            let claim = try await repository.fileClaim(try Self.filing()).get()
            let rejected = try await repository.decideClaim(
                try Self.decision(claim.claimID, approve: false, key: "d-1")).get()
            #expect(rejected.state == .rejected && rejected.accrualID == 0)
            #expect(rejected.decisionReason == "receipt checked")
            #expect(try await repository.euroBalance().pendingMinorUnits == 0)
            #expect(try await repository.fileClaim(try Self.filing(key: "c-2")).success != nil)
            #expect(
                try await repository.decideClaim(
                    try Self.decision(99, approve: false, key: "d-2")
                ).failure?.code == .claimNotFound)
            #expect(
                try await repository.fileClaim(
                    try ClaimFiling(
                        memberID: "member-1", merchantID: "shop-9", orderID: "o", amountMinorUnits: 1,
                        currency: "EUR", orderedAtMilliseconds: 1, details: "", idempotencyKey: "c-9")
                ).failure?.code == .merchantNotFound)
            let pending = try await repository.claims(state: .pending, afterID: 0, limit: 10)
            #expect(pending.map(\.orderID) == ["lost-1"])
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }

    @Test("an approval is refused as the accrual would be: a paused merchant")
    func approvalFollowsAccrueRules() async throws {
        try await withLedger { repository in
            let claim = try await repository.fileClaim(try Self.filing()).get()
            _ = try await repository.upsertMerchant(try merchant(status: .paused)).get()
            let refused = try await repository.decideClaim(
                try Self.decision(claim.claimID, approve: true, key: "d-1"))
            #expect(refused.failure?.code == .merchantPaused)
            #expect(
                try await repository.claims(state: .pending, afterID: 0, limit: 10).count == 1)
        }
    }

    @Test("manual credits and debits move available, with lots, and never overdraw")
    func manualAdjustments() async throws {
        try await withLedger { repository in
            let credit = try BalanceAdjustment(
                memberID: "member-1", currency: "EUR", amountMinorUnits: 1_000, actor: "ops-anna",
                reason: "goodwill for a late payout", idempotencyKey: "m-1")
            #expect(try await repository.adjustBalance(credit).get().availableMinorUnits == 1_000)
            #expect(try await repository.adjustBalance(credit).get().replayed)
            let debit = try BalanceAdjustment(
                memberID: "member-1", currency: "EUR", amountMinorUnits: -400, actor: "ops-anna",
                reason: "duplicate credit", idempotencyKey: "m-2")
            #expect(try await repository.adjustBalance(debit).get().availableMinorUnits == 600)
            let overdraw = try BalanceAdjustment(
                memberID: "member-1", currency: "EUR", amountMinorUnits: -601, actor: "ops-anna",
                reason: "too much", idempotencyKey: "m-3")
            #expect(try await repository.adjustBalance(overdraw).failure?.code == .insufficientFunds)
            let balance = try await repository.euroBalance()
            #expect(balance.availableMinorUnits == 600 && balance.lifetimeMinorUnits == 0)
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }

    @Test("velocity limits: accruals per hour and withdrawals per day, replays exempt")
    func velocity() async throws {
        let clock = TestClock()
        try await withTemporaryDirectory { directory in
            var policy = WalletPolicy.default
            policy.accrualsPerMemberPerHour = 3
            policy.withdrawalsPerMemberPerDay = 1
            policy.defaultWithdrawalMinimumMinorUnits = 1
            let repository = try SQLiteLedgerRepository(
                path: ledgerPath(in: directory), policy: policy, clock: clock.read)
            _ = try await repository.upsertMerchant(try merchant()).get()
            for index in 0..<3 {
                _ = try await repository.accrue(try accrual("o-\(index)")).get()
            }
            let refused = try await repository.accrue(try accrual("o-3"))
            #expect(refused.failure?.code == .velocityLimit)
            #expect(try await repository.accrue(try accrual("o-0")).success?.replayed == true)
            clock.advance(days: 1)
            #expect(try await repository.accrue(try accrual("o-3")).success != nil)

            _ = try await repository.confirm(try order("o-3")).get()
            let card = try PayoutDestination(kind: .card, account: "4111111111111111")
            let first = try WithdrawCommand(
                memberID: "member-1", currency: "EUR", amountMinorUnits: 100, destination: card,
                idempotencyKey: "w-1")
            _ = try await repository.withdraw(first).get()
            #expect(try await repository.withdraw(first).get().replayed)
            let second = try WithdrawCommand(
                memberID: "member-1", currency: "EUR", amountMinorUnits: 100, destination: card,
                idempotencyKey: "w-2")
            #expect(try await repository.withdraw(second).failure?.code == .velocityLimit)
            clock.advance(days: 1)
            #expect(try await repository.withdraw(second).success != nil)
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }
}
