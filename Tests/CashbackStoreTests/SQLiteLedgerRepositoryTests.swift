import CashbackCore
import CashbackRepository
import Testing
@testable import CashbackStore

@Suite("SQLiteLedgerRepository: opening, durability, reopening")
struct SQLiteLedgerRepositoryTests {
    @Test("every connection runs WAL with synchronous FULL and foreign keys")
    func pragmas() async throws {
        try await withLedger { repository in
            let settings = try await repository.storageSettings()
            for connection in [settings.writer, settings.reader] {
                #expect(connection.journalMode == "wal")
                #expect(connection.synchronous == 2)
                #expect(connection.foreignKeysEnabled)
            }
        }
    }

    @Test("reopening the file finds the same state and runs no migration again")
    func reopen() async throws {
        try await withTemporaryDirectory { directory in
            let path = ledgerPath(in: directory)
            let before: (Balance, BooksReport, AccrualRecord?)
            do {
                let repository = try SQLiteLedgerRepository(path: path)
                _ = try await repository.upsertMerchant(try merchant())
                _ = try await repository.accrue(try accrual("order-1", eligibleMinorUnits: 10_000))
                _ = try await repository.accrue(try accrual("order-2", eligibleMinorUnits: 30_000))
                _ = try await repository.confirm(try order("order-2"))
                before = (
                    try await repository.euroBalance(),
                    try await repository.verifyBooks(),
                    try await repository.accrue(try accrual("order-1")).success?.record
                )
                try repository.close()
                await #expect(throws: (any Error).self) { try await repository.euroBalance() }
            }
            let reopened = try SQLiteLedgerRepository(path: path)
            #expect(try await reopened.euroBalance() == before.0)
            #expect(try await reopened.verifyBooks() == before.1)
            #expect(before.0.pendingMinorUnits == 500)
            #expect(before.0.availableMinorUnits == 1_500)
            let replay = try await reopened.accrue(try accrual("order-1")).success
            #expect(replay?.replayed == true)
            #expect(replay?.record == before.2)
            // The merchant survived too: a new order is accepted and gets the next id.
            let next = try await reopened.accrue(try accrual("order-3")).success
            #expect(next?.replayed == false)
            #expect(next?.record.accrualID == 3)
        }
    }

    @Test("opening a path in a missing directory throws")
    func missingDirectory() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("absent/ledger.sqlite").path
            #expect(throws: (any Error).self) { try SQLiteLedgerRepository(path: path) }
        }
    }
}
