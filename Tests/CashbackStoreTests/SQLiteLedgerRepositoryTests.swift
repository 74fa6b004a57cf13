import CashbackCore
import CashbackRepository
import Testing
import Foundation
import GRDB
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

    @Test("a file a newer cashbackd migrated is refused, and left as it was")
    func newerSchemaIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = ledgerPath(in: directory)
            try SQLiteLedgerRepository(path: path).close()
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')")
            }
            try queue.close()
            #expect {
                try SQLiteLedgerRepository(path: path)
            } throws: { error in
                guard let error = error as? LedgerStoreError else { return false }
                return error.code == .databaseUnavailable
                    && error.message.contains("was written by a newer cashbackd")
            }
            let again = try DatabaseQueue(path: path)
            let migrations = try again.read { db in
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            }
            try again.close()
            #expect(migrations.last == "v99")
        }
    }

    @Test("opening a path in a missing directory throws")
    func missingDirectory() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("absent/ledger.sqlite").path
            #expect(throws: (any Error).self) { try SQLiteLedgerRepository(path: path) }
        }
    }

    @Test("one owner per file: a second repository is refused, naming the file and the owner")
    func oneOwner() async throws {
        try await withTemporaryDirectory { directory in
            let path = ledgerPath(in: directory)
            let first = try SQLiteLedgerRepository(path: path)
            do {
                _ = try SQLiteLedgerRepository(path: path)
                Issue.record("a second owner was let in")
            } catch let error as LedgerStoreError {
                #expect(error.code == .databaseInUse)
                #expect(error.message.contains(path))
                #expect(error.message.contains("process \(getpid())"))
            }
            try first.close()
            // Closing gives the file up.
            let second = try SQLiteLedgerRepository(path: path)
            try second.close()
        }
    }

    @Test("database errors at start name the path and the cause", arguments: [
        "missing folder", "a folder", "not a database", "another application",
    ])
    func startErrors(_ situation: String) async throws {
        try await withTemporaryDirectory { directory in
            var path = ledgerPath(in: directory)
            var fragment = path
            switch situation {
            case "missing folder":
                path = directory.appendingPathComponent("absent/ledger.sqlite").path
                fragment = "\(directory.appendingPathComponent("absent").path) of the database"
            case "a folder":
                try FileManager.default.createDirectory(
                    atPath: path, withIntermediateDirectories: false)
                fragment = "is a folder, not a file"
            case "not a database":
                try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
                fragment = "it is not a SQLite database"
            default:
                let other = try DatabaseQueue(path: path)
                try await other.write { try $0.execute(sql: "CREATE TABLE songs (title TEXT)") }
                try other.close()
                fragment = "a SQLite file of another application (tables: songs)"
            }
            do {
                _ = try SQLiteLedgerRepository(path: path)
                Issue.record("opened \(situation)")
            } catch let error as LedgerStoreError {
                #expect(error.code == .databaseUnavailable)
                #expect(error.message.contains(fragment), "\(error.message)")
                #expect(error.cause == nil)
                #expect(!error.description.contains("GRDB"))
            }
        }
    }
}
