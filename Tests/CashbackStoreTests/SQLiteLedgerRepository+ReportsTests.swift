import CashbackCore
import CashbackRepository
import Testing
@testable import CashbackStore

@Suite("SQLiteLedgerRepository history and stats")
struct SQLiteLedgerRepositoryReportsTests {
    @Test("history: newest first, every movement with its sources and explanation, paged")
    func history() async throws {
        let clock = TestClock()
        try await withTemporaryDirectory { directory in
            let repository = try SQLiteLedgerRepository(
                path: ledgerPath(in: directory), clock: clock.read)
            clock.advance(milliseconds: 1)
            _ = try await repository.upsertMerchant(try merchant()).get()
            clock.advance(milliseconds: 1)
            _ = try await repository.accrue(try accrual("o-1", eligibleMinorUnits: 20_000)).get()
            clock.advance(milliseconds: 1)
            _ = try await repository.confirm(try order("o-1")).get()  // 1 000 available
            clock.advance(milliseconds: 1)
            let redemption = try await repository.redeem(
                try RedeemCommand(
                    memberID: "member-1", currency: "EUR", amountMinorUnits: 300,
                    purchaseReference: "cart-9", idempotencyKey: "r-1")
            ).get()
            clock.advance(milliseconds: 1)
            _ = try await repository.adjust(
                try AdjustCommand(
                    merchantID: "shop-1", orderID: "o-1", idempotencyKey: "a-1",
                    newAmountMinorUnits: 16_000, reason: "one item returned")
            ).get()
            clock.advance(milliseconds: 1)
            _ = try await repository.setFrozen(
                try MemberFreezeCommand(
                    memberID: "member-1", frozen: true, actor: "ops-anna", reason: "review",
                    idempotencyKey: "z-1")
            ).get()
            clock.advance(milliseconds: 1)
            _ = try await repository.adjustBalance(
                try BalanceAdjustment(
                    memberID: "member-1", currency: "EUR", amountMinorUnits: 50, actor: "ops-anna",
                    reason: "goodwill", idempotencyKey: "m-1")
            ).get()

            let euro = try euro()
            let all = try await repository.history(
                memberID: "member-1", currency: euro, before: nil, limit: 50)
            #expect(
                all.map(\.kind) == [
                    "manual-credit", "freeze", "adjust", "redeem", "confirm", "accrue",
                ])
            #expect(all[0].availableDeltaMinorUnits == 50)
            #expect(all[0].explanation == "ops-anna: goodwill")
            #expect(all[1].explanation == "ops-anna: review")
            #expect(all[2].availableDeltaMinorUnits == -200)
            #expect(all[2].explanation == "one item returned")
            #expect(all[2].merchantID == "shop-1" && all[2].orderID == "o-1")
            #expect(all[3].redemptionID == redemption.redemptionID)
            #expect(all[3].explanation == "cart-9")
            #expect(all[4].pendingDeltaMinorUnits == -1_000 && all[4].availableDeltaMinorUnits == 1_000)
            #expect(all[5].pendingDeltaMinorUnits == 1_000 && all[5].accrualID == 1)

            // Paging: two at a time, then the rest, with no entry twice or missing.
            var paged: [HistoryEntry] = []
            var cursor: HistoryCursor?
            repeat {
                let page = try await repository.history(
                    memberID: "member-1", currency: euro, before: cursor, limit: 2)
                paged += page
                cursor = page.count == 2 ? HistoryCursor(page[1].cursor) : nil
            } while cursor != nil
            #expect(paged == all)
            #expect(HistoryCursor("1.2.3") == nil && HistoryCursor("x") == nil)
        }
    }

    @Test("stats over [from, to): totals and per merchant, net commission and margin")
    func stats() async throws {
        let clock = TestClock()
        try await withTemporaryDirectory { directory in
            let repository = try SQLiteLedgerRepository(
                path: ledgerPath(in: directory), clock: clock.read)
            _ = try await repository.upsertMerchant(try merchant(commissionBasisPoints: 800)).get()
            _ = try await repository.upsertMerchant(
                try merchant("shop-2", rateBasisPoints: 1_000, commissionBasisPoints: 500)).get()
            let start = clock.milliseconds
            _ = try await repository.accrue(try accrual("o-1", eligibleMinorUnits: 10_000)).get()
            _ = try await repository.accrue(
                try accrual("o-2", merchantID: "shop-2", memberID: "member-2",
                            eligibleMinorUnits: 10_000)).get()
            _ = try await repository.confirm(try order("o-1")).get()
            _ = try await repository.cancel(try order("o-2", merchantID: "shop-2")).get()
            _ = try await repository.redeem(
                try RedeemCommand(
                    memberID: "member-1", currency: "EUR", amountMinorUnits: 100,
                    idempotencyKey: "r-1")
            ).get()
            clock.advance(days: 1)
            _ = try await repository.accrue(try accrual("o-3", eligibleMinorUnits: 10_000)).get()

            let euro = try euro()
            let day = try await repository.stats(
                currency: euro, fromMilliseconds: start, toMilliseconds: start + 86_400_000)
            #expect(day.total.members == 2)
            #expect(day.total.accruedMinorUnits == 500 + 1_000)
            #expect(day.total.confirmedMinorUnits == 500)
            #expect(day.total.cancelledMinorUnits == 1_000)
            #expect(day.total.spentMinorUnits == 100)
            #expect(day.total.commissionMinorUnits == 800)  // shop-2's was cancelled
            #expect(day.total.marginMinorUnits == 300)
            #expect(day.merchants.map(\.merchantID) == ["shop-1", "shop-2"])
            #expect(day.merchants[1].figures.accruedMinorUnits == 1_000)
            #expect(day.merchants[1].figures.commissionMinorUnits == 0)
            #expect(day.merchants[0].figures.spentMinorUnits == 0)  // member-level: total only

            let empty = try await repository.stats(
                currency: euro, fromMilliseconds: 0, toMilliseconds: start)
            #expect(empty.total == StatsFigures() && empty.merchants.isEmpty)
        }
    }
}
