import CashbackCore
import CashbackRepository
import GRDB
import Testing
@testable import CashbackStore

/// Every way the merchants and rule sets Accrue reads through the writer's catalog can change,
/// each followed by an accrual that must see the change (or, after a rollback, not see it).
@Suite("WriterCatalog: what Accrue reads is what the file holds")
struct WriterCatalogTests {
    @Test("an upsert and a new rule set are seen by the next accrual")
    func upsertAndPublish() async throws {
        try await withLedger { repository in
            let first = try await repository.accrue(try accrual("o-1")).get().record
            #expect(first.ruleVersion == 1 && first.commissionMinorUnits == 0)
            _ = try await repository.upsertMerchant(try merchant(commissionBasisPoints: 800)).get()
            _ = try await repository.publishRuleSet(
                try publication(.flat(rateBasisPoints: 1_000))
            ).get()
            let second = try await repository.accrue(try accrual("o-2")).get().record
            #expect(second.ruleVersion == 2)
            #expect(second.cashbackMinorUnits == 1_000)  // 10 % of 100.00
            #expect(second.commissionMinorUnits == 800)
            _ = try await repository.upsertMerchant(try merchant(status: .paused)).get()
            #expect(try await repository.accrue(try accrual("o-3")).failure?.code == .merchantPaused)
        }
    }

    @Test("a change made by hand-written SQL is seen by the next accrual")
    func changeBehindTheLedger() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual("o-1")).get()
            try await repository.executeBypassingLedgerForTesting(
                sql: "UPDATE merchants SET status = 2 WHERE id = 'shop-1'")
            #expect(try await repository.accrue(try accrual("o-2")).failure?.code == .merchantPaused)
            try await repository.executeBypassingLedgerForTesting(
                sql: "UPDATE merchants SET status = 1, commission_bps = 300 WHERE id = 'shop-1'")
            let record = try await repository.accrue(try accrual("o-3")).get().record
            #expect(record.commissionMinorUnits == 300)
        }
    }

    @Test("what an accrual read of a batch that was rolled back is forgotten with it")
    func rolledBackBatch() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual("o-1")).get()
            let blocked = await BlockedWriter(repository)
            let change = Task {
                try await repository.executeBypassingLedgerForTesting(
                    sql: "UPDATE merchants SET commission_bps = 900 WHERE id = 'shop-1'")
            }
            await BlockedWriter.waitUntilQueued(repository, 1)
            // Priced with the uncommitted 9 %: the catalog holds the changed merchant now.
            let command = try accrual("o-2")
            let priced = Task { try await repository.accrue(command) }
            await BlockedWriter.waitUntilQueued(repository, 2)
            let rollback = Task {
                try await repository.writer.perform { db in try db.execute(sql: "ROLLBACK") }
            }
            await BlockedWriter.waitUntilQueued(repository, 3)
            try await blocked.open()
            await #expect(throws: (any Error).self) { try await change.value }
            await #expect(throws: (any Error).self) { try await priced.value }
            await #expect(throws: (any Error).self) { try await rollback.value }

            let record = try await repository.accrue(try accrual("o-3")).get().record
            #expect(record.commissionMinorUnits == 0)
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }
}
