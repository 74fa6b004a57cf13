import CashbackRepository
import Foundation
import GRDB

/// Copies of a ledger file through SQLite's online backup API, consistent while the server
/// writes: the copy is one snapshot of the file, taken in a single read transaction, so it holds
/// every command committed before it began and nothing of any command after.
///
/// ```swift
/// let copied = try SQLiteLedgerBackup.backup(database: "ledger.sqlite", to: "ledger-1130.sqlite")
/// let restored = try await SQLiteLedgerBackup.restore(from: "ledger-1130.sqlite", to: "new.sqlite")
/// ```
public enum SQLiteLedgerBackup {
    /// What a backup copied.
    public struct Copy: Sendable {
        /// The pages copied (SQLite pages of the file's page size).
        public let pageCount: Int
        /// The copy's size in bytes.
        public let bytes: Int64
    }

    /// Copies the ledger at `database` to a new file `destination`, beside a running server or
    /// not (it takes no ownership of the source, and only reads it).
    ///
    /// - Throws: `LedgerStoreError` `.databaseUnavailable` naming the path and the cause: no
    ///   source, a source that is not a ledger, a destination that exists already (a backup
    ///   never overwrites) or whose folder is missing.
    public static func backup(database: String, to destination: String) throws -> Copy {
        guard FileManager.default.fileExists(atPath: database) else {
            throw LedgerStoreError(.databaseUnavailable, "no database at \(database)")
        }
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw LedgerStoreError(
                .databaseUnavailable,
                "\(destination) exists already; a backup never overwrites a file: choose a new name")
        }
        try DatabasePreflight.check(destination)
        let source = try openReadOnly(database)
        do {
            let copy = try DatabaseQueue(path: destination)
            try source.backup(to: copy)
            try copy.close()
        } catch let error as DatabaseError {
            try? FileManager.default.removeItem(atPath: destination)
            throw LedgerStoreError(
                .databaseUnavailable,
                "cannot copy \(database) to \(destination): \(error.message ?? "\(error.resultCode)")")
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: destination)
        let bytes = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        let pageSize = try source.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 1 }
        return Copy(pageCount: Int(bytes) / max(pageSize, 1), bytes: bytes)
    }

    /// Restores the backup `backupPath` as the ledger at `database`, then checks its books.
    ///
    /// The destination must not be in use (no server on it); an existing destination is
    /// replaced only with `replacing`. A backup written by an older `cashbackd` is migrated as
    /// the server would.
    ///
    /// - Returns: the restored ledger's books report.
    /// - Throws: `LedgerStoreError` naming the path and the cause (`.databaseInUse` while a
    ///   server owns the destination).
    public static func restore(from backupPath: String, to database: String, replacing: Bool)
        async throws -> BooksReport
    {
        guard FileManager.default.fileExists(atPath: backupPath) else {
            throw LedgerStoreError(.databaseUnavailable, "no backup at \(backupPath)")
        }
        if FileManager.default.fileExists(atPath: database), !replacing {
            throw LedgerStoreError(
                .databaseUnavailable,
                "\(database) exists already; pass --replace to overwrite it with the backup")
        }
        let source = try openReadOnly(backupPath)
        try DatabasePreflight.check(database)
        // Own the destination for the whole restore: no server may open it meanwhile.
        let ownership = try DatabaseOwnership(databasePath: database)
        do {
            let destination = try DatabaseQueue(path: database)
            try source.backup(to: destination)
            try destination.close()
        } catch let error as DatabaseError {
            throw LedgerStoreError(
                .databaseUnavailable,
                "cannot restore \(backupPath) to \(database): "
                    + (error.message ?? "\(error.resultCode)"))
        }
        ownership.release()
        let ledger = try SQLiteLedgerRepository(path: database)
        let report = try await ledger.verifyBooks()
        try ledger.close()
        return report
    }

    /// A read-only connection to a ledger file, refusing other files.
    private static func openReadOnly(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(SQLiteLedgerRepository.busyTimeout)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            let isLedger = try queue.read { db in
                try db.tableExists("grdb_migrations") && db.tableExists("merchants")
            }
            guard isLedger else {
                throw LedgerStoreError(
                    .databaseUnavailable, "\(path) is not a Cashback ledger (no ledger tables)")
            }
            return queue
        } catch let error as DatabaseError {
            throw LedgerStoreError(
                .databaseUnavailable,
                "cannot open \(path): \(error.message ?? "\(error.resultCode)")")
        }
    }
}
