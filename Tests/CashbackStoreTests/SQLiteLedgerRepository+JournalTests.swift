import CashbackCore
import CashbackRepository
import Testing
@testable import CashbackStore

@Suite("SQLiteLedgerRepository journal export")
struct SQLiteLedgerRepositoryJournalTests {
    @Test("pages of the journal in id order, each entry with its own lines, from any cursor")
    func journalPages() async throws {
        try await withTemporaryDirectory { directory in
            let repository = try SQLiteLedgerRepository(path: ledgerPath(in: directory))
            _ = try await repository.upsertMerchant(try merchant()).get()
            _ = try await repository.accrue(try accrual("o-1", eligibleMinorUnits: 20_000)).get()
            _ = try await repository.confirm(try order("o-1")).get()
            let redemption = try await repository.redeem(
                try RedeemCommand(
                    memberID: "member-1", currency: "EUR", amountMinorUnits: 300,
                    purchaseReference: "cart-9", idempotencyKey: "r-1")
            ).get()
            _ = try await repository.adjustBalance(
                try BalanceAdjustment(
                    memberID: "member-1", currency: "EUR", amountMinorUnits: 50, actor: "ops-anna",
                    reason: "goodwill", idempotencyKey: "m-1")
            ).get()

            let all = try await repository.journalEntries(afterID: 0, limit: 500)
            #expect(all.map(\.kind) == ["accrue", "confirm", "redeem", "manual-credit"])
            #expect(all.map(\.entryID) == all.map(\.entryID).sorted())
            for entry in all {
                #expect(!entry.lines.isEmpty)
                #expect(entry.lines.map(\.amountMinorUnits).reduce(0, +) == 0)
                #expect(entry.lines.allSatisfy { $0.currency == "EUR" })
            }
            #expect(all[0].accrualID != 0)
            #expect(all[2].redemptionID == redemption.redemptionID)
            #expect(all[2].withdrawalID == 0)
            #expect(all[3].note == "ops-anna: goodwill")
            #expect(all[3].lines.contains { $0.account == "member-available" && $0.amountMinorUnits == 50 })

            // Pages of one entry, each resuming after the last: the same entries and lines.
            var paged: [ExportedJournalEntry] = []
            var cursor: Int64 = 0
            while case let page = try await repository.journalEntries(afterID: cursor, limit: 1),
                let last = page.last
            {
                #expect(page.count == 1)
                paged += page
                cursor = last.entryID
            }
            #expect(paged == all)
            #expect(try await repository.journalEntries(afterID: all[1].entryID, limit: 2) == Array(all[2...3]))
            #expect(try await repository.journalEntries(afterID: all[3].entryID, limit: 500).isEmpty)
            try repository.close()
        }
    }
}
