import CashbackRepository
import Foundation
import GRDB
import Testing
@testable import CashbackStore

/// Restores that fail on the way leave the ledger they would have replaced as it was.
@Suite struct SQLiteLedgerBackupTests {
    /// Adds an active token `id` to the ledger at `path`.
    static func addToken(_ id: String, to path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO access_tokens
                        (id, name, scopes, merchant_id, digest, created_ms, revoked_ms)
                    VALUES (?, ?, 'wallet', NULL, ?, 1, NULL)
                    """,
                arguments: [id, "name-\(id)", Data(repeating: 7, count: 32)])
        }
        try queue.close()
    }

    /// When the token `id` of the ledger at `path` was revoked; `nil` while it is active.
    static func revokedAt(_ id: String, in path: String) throws -> Int64? {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            try Int64.fetchOne(
                db, sql: "SELECT revoked_ms FROM access_tokens WHERE id = ?", arguments: [id])
        }
    }

    /// A ledger in `directory` with the active token `tok1`, and a backup of it.
    static func ledgerAndBackup(in directory: URL) throws -> (database: String, backup: String) {
        let database = ledgerPath(in: directory)
        try SQLiteLedgerRepository(path: database).close()
        try addToken("tok1", to: database)
        let backup = directory.appendingPathComponent("backup.sqlite").path
        _ = try SQLiteLedgerBackup.backup(database: database, to: backup)
        return (database, backup)
    }

    @Test func aRestoreThatFailsLeavesTheLedgerAndItsRevocationsAsTheyWere() async throws {
        try await withTemporaryDirectory { directory in
            let (database, good) = try Self.ledgerAndBackup(in: directory)
            // Revoked after the backup.
            let queue = try DatabaseQueue(path: database)
            try await queue.write { db in
                try db.execute(sql: "UPDATE access_tokens SET revoked_ms = 42 WHERE id = 'tok1'")
            }
            try queue.close()

            // A backup of an older cashbackd whose migration fails: an accrual whose cashback
            // its rate does not give.
            let broken = directory.appendingPathComponent("broken.sqlite").path
            try MigrationsTests.writeV1File(at: broken)
            let brokenQueue = try DatabaseQueue(path: broken)
            try await brokenQueue.write { db in
                try db.execute(sql: "UPDATE accruals SET cashback_minor = 999 WHERE id = 2")
            }
            try brokenQueue.close()
            await #expect(throws: LedgerStoreError.self) {
                _ = try await SQLiteLedgerBackup.restore(from: broken, to: database, replacing: true)
            }
            #expect(try Self.revokedAt("tok1", in: database) == 42)
            #expect(!FileManager.default.fileExists(atPath: database + ".restoring"))

            // The good backup, restored over it, keeps the revocation made after it.
            let restored = try await SQLiteLedgerBackup.restore(
                from: good, to: database, replacing: true)
            #expect(restored.revocationsCarriedOver == 1)
            #expect(restored.activeTokens == 0)
            #expect(try Self.revokedAt("tok1", in: database) == 42)
        }
    }

    /// The permission bits of the file at `path`.
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int)
    }

    /// A ledger holds payout accounts: a new ledger, its WAL, a backup and a restored file are
    /// for their owner only, whatever the umask lets SQLite do (0644 under the usual 022).
    @Test func newLedgersBackupsAndRestoredFilesAreForTheirOwnerOnly() async throws {
        try await withTemporaryDirectory { directory in
            let database = ledgerPath(in: directory)
            let ledger = try SQLiteLedgerRepository(path: database)
            #expect(try Self.mode(database) == 0o600)
            #expect(try Self.mode(database + "-wal") == 0o600)
            try ledger.close()
            let backup = directory.appendingPathComponent("backup.sqlite").path
            _ = try SQLiteLedgerBackup.backup(database: database, to: backup)
            #expect(try Self.mode(backup) == 0o600)
            let fresh = directory.appendingPathComponent("fresh.sqlite").path
            _ = try await SQLiteLedgerBackup.restore(from: backup, to: fresh, replacing: false)
            #expect(try Self.mode(fresh) == 0o600)
            // A file that exists keeps the mode its owner gave it.
            chmod(database, 0o640)
            try SQLiteLedgerRepository(path: database).close()
            #expect(try Self.mode(database) == 0o640)
        }
    }

    @Test func aRestoreToANewFileHoldsTheBackup() async throws {
        try await withTemporaryDirectory { directory in
            let (_, backup) = try Self.ledgerAndBackup(in: directory)
            let fresh = directory.appendingPathComponent("fresh.sqlite").path
            let restored = try await SQLiteLedgerBackup.restore(
                from: backup, to: fresh, replacing: false)
            #expect(restored.activeTokens == 1)
            #expect(restored.revocationsCarriedOver == 0)
            #expect(try Self.revokedAt("tok1", in: fresh) == nil)
            // The new file is a ledger a server opens.
            try SQLiteLedgerRepository(path: fresh).close()
        }
    }

    /// A backup whose pages are damaged fails as a restore (a `LedgerStoreError`, which the
    /// command turns into exit 2), and a new file it was meant to create is not left behind
    /// (its lock file is, as a server's is).
    @Test func aDamagedBackupRestoresNothingAndLeavesNothing() async throws {
        try await withTemporaryDirectory { directory in
            let (_, backup) = try Self.ledgerAndBackup(in: directory)
            // The journal's root page damaged: the file still opens as a ledger, and copies.
            let queue = try DatabaseQueue(path: backup)
            let (page, pageSize) = try await queue.read { db in
                (
                    try Int.fetchOne(
                        db, sql: "SELECT rootpage FROM sqlite_master WHERE name = 'journal_entries'")
                        ?? 0,
                    try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0
                )
            }
            try queue.close()
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: backup))
            try handle.seek(toOffset: UInt64((page - 1) * pageSize))
            try handle.write(contentsOf: Data(repeating: 0xff, count: pageSize))
            try handle.close()
            let fresh = directory.appendingPathComponent("fresh.sqlite").path
            await #expect(throws: LedgerStoreError.self) {
                _ = try await SQLiteLedgerBackup.restore(from: backup, to: fresh, replacing: false)
            }
            for suffix in ["", "-wal", "-shm", ".restoring", ".restoring.lock"] {
                #expect(!FileManager.default.fileExists(atPath: fresh + suffix), "\(suffix)")
            }
        }
    }
}
