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
            try copy(source, to: destination)
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

    /// What a restore did.
    public struct Restored: Sendable {
        /// The restored ledger's books.
        public let books: BooksReport
        /// Tokens revoked in the replaced file after the backup was taken, revoked again in the
        /// restored one (a backup must not bring a revoked token back).
        public let revocationsCarriedOver: Int
        /// Tokens active in the restored file.
        public let activeTokens: Int
    }

    /// Restores the backup `backupPath` as the ledger at `database`, then checks its books.
    ///
    /// The destination must not be in use (no server on it); an existing destination is
    /// replaced only with `replacing`, and the token revocations it holds are applied to the
    /// restored file. A backup written by an older `cashbackd` is migrated as the server would.
    ///
    /// The backup is made ready beside the destination first (`<database>.restoring`: copied,
    /// migrated, the revocations applied, the books checked), and the destination is
    /// overwritten only with that: a restore that fails on the way (a backup that cannot be
    /// migrated, say) leaves the destination as it was, its revocations included.
    /// - Throws: `LedgerStoreError` naming the path and the cause (`.databaseInUse` while a
    ///   server owns the destination).
    public static func restore(from backupPath: String, to database: String, replacing: Bool)
        async throws -> Restored
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
        // Own the destination until the end: no server may open it meanwhile.
        let ownership = try DatabaseOwnership(databasePath: database)
        let existed = FileManager.default.fileExists(atPath: database)
        var restored = false
        defer {
            // A new file that could not be restored leaves nothing behind, removed while it is
            // still ours (a server may take it the moment it is released). The lock file stays,
            // as a server's does: removed, a second owner could lock a new file of that name
            // while the first still holds the old one.
            if !existed, !restored { removeFiles(of: database, lock: false) }
            ownership.release()
        }
        let staging = database + ".restoring"
        removeFiles(of: staging, lock: true)  // what a restore that was killed left
        defer { removeFiles(of: staging, lock: true) }
        do {
            let revocations = existed ? try readRevocations(database) : []
            try copy(source, to: staging)
            let ledger = try SQLiteLedgerRepository(path: staging)
            let carried = try await ledger.pool.write { db in
                var count = 0
                for revocation in revocations {
                    try db.execute(
                        sql: "UPDATE access_tokens SET revoked_ms = ? "
                            + "WHERE id = ? AND revoked_ms IS NULL",
                        arguments: [revocation.at, revocation.id])
                    count += db.changesCount
                }
                return count
            }
            let active = try await ledger.pool.read { db in
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM access_tokens WHERE revoked_ms IS NULL") ?? 0
            }
            let report = try await ledger.verifyBooks()
            try ledger.close()
            try copy(try openReadOnly(staging), to: database)
            restored = true
            return Restored(books: report, revocationsCarriedOver: carried, activeTokens: active)
        } catch let error as DatabaseError {
            // A backup whose pages are damaged, a disk that is full.
            throw LedgerStoreError(
                .databaseUnavailable,
                "cannot restore \(backupPath) to \(database): "
                    + (error.message ?? "\(error.resultCode)"))
        }
    }

    private struct Revocation: Sendable {
        let id: String
        let at: Int64
    }

    /// The token revocations the ledger at `database` holds.
    private static func readRevocations(_ database: String) throws -> [Revocation] {
        let queue = try DatabaseQueue(path: database)
        defer { try? queue.close() }
        return try queue.read { db in
            guard try db.tableExists("access_tokens") else { return [] }
            return try Row.fetchAll(
                db, sql: "SELECT id, revoked_ms FROM access_tokens WHERE revoked_ms IS NOT NULL"
            ).map { Revocation(id: $0["id"], at: $0["revoked_ms"]) }
        }
    }

    /// Copies `source`, page for page, over the file `database` (created if missing, mode
    /// 0600 like a ledger: a backup holds what the ledger holds).
    private static func copy(_ source: DatabaseQueue, to database: String) throws {
        try DatabasePreflight.createPrivately(database)
        let destination = try DatabaseQueue(path: database)
        try source.backup(to: destination)
        try destination.close()
    }

    /// Removes a SQLite file and what goes with it: its WAL and shared memory, and with `lock`
    /// its lock file (only for a file that no other process can come to own).
    private static func removeFiles(of path: String, lock: Bool) {
        for suffix in ["", "-wal", "-shm"] + (lock ? [".lock"] : []) {
            try? FileManager.default.removeItem(atPath: path + suffix)
        }
    }

    /// A read-only connection to a ledger file, refusing other files.
    private static func openReadOnly(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(SQLiteLedgerRepository.busyTimeout)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            let isLedger = try queue.read { db in
                SQLiteLedgerRepository.isLedger(
                    tables: try String.fetchAll(
                        db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
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
