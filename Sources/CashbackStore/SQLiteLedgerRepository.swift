import CashbackCore
import CashbackRepository
import Foundation
import GRDB

/// The ledger on a SQLite file, through a GRDB `DatabasePool`.
///
/// - Durability: WAL journal and `synchronous = FULL` on every connection, so a commit is on
///   disk (the WAL is fsynced) before any answer leaves; a power cut loses no acknowledged
///   command.
/// - Concurrency: one writer connection serializes every command, each in its own
///   transaction; reads run on a pool of reader connections over WAL snapshots and never wait
///   for the writer. All SQLite calls run on GRDB's own dispatch queues through its async
///   APIs, never on the caller's executor.
///
/// ```swift
/// let repository = try SQLiteLedgerRepository(path: "/var/lib/cashback/ledger.sqlite")
/// let balance = try await repository.balance(memberID: "member-7", currency: euro)
/// ```
public final class SQLiteLedgerRepository: LedgerRepository {
    /// The pool: one writer, several readers. `DatabasePool` is `Sendable`.
    let pool: DatabasePool
    /// What the wallet allows (withdrawal minimums).
    let policy: WalletPolicy
    /// The clock: milliseconds since the Unix epoch. Stamps every row, and starts the expiry
    /// of confirmed cashback; tests inject their own.
    let clock: @Sendable () -> Int64

    /// Opens (or creates) the ledger file at `path` and migrates its schema.
    ///
    /// Opening runs the migrations synchronously on the calling thread: call it at startup,
    /// not from an event loop. A file already migrated runs nothing again.
    ///
    /// - Parameter path: The SQLite file; its directory must exist. The `-wal` and `-shm`
    ///   files live beside it.
    /// - Throws: GRDB's `DatabaseError` if the file cannot be opened or migrated, and
    ///   `LedgerStoreError` with code `.storageMisconfigured` if the connection does not end
    ///   up in WAL mode with `synchronous = FULL`.
    /// - Parameters:
    ///   - path: The SQLite file.
    ///   - policy: What the wallet allows.
    ///   - clock: Milliseconds since the Unix epoch; the wall clock unless a test injects one.
    public init(
        path: String,
        policy: WalletPolicy = .default,
        clock: @escaping @Sendable () -> Int64 = SQLiteLedgerRepository.wallClockMilliseconds
    ) throws {
        self.policy = policy
        self.clock = clock
        self.pool = try DatabasePool(path: path, configuration: Self.configuration())
        // `DatabasePool` switches its writer to WAL *after* `prepareDatabase` ran, and with it
        // sets `synchronous = NORMAL` (GRDB's `Database.setUpWALMode()`): a power cut could
        // then lose acknowledged commits. The writer connection lives as long as the pool, so
        // setting FULL again once, here, holds for every write.
        try self.pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        try Migrations.migrator.migrate(self.pool)
        // Check what SQLite reports, not what was asked: both kinds of connection.
        let writer = try self.pool.writeWithoutTransaction(SQLiteConnectionSettings.read)
        try writer.checkRequired()
        let reader = try self.pool.read(SQLiteConnectionSettings.read)
        try reader.checkRequired()
    }

    /// The durability and pragmas of the writer and of one reader connection, as SQLite
    /// reports them.
    ///
    /// - Returns: The settings, read back from the connections.
    /// - Throws: A database error.
    public func storageSettings() async throws -> SQLiteStorageSettings {
        let writer = try await self.pool.writeWithoutTransaction(SQLiteConnectionSettings.read)
        let reader = try await self.pool.read(SQLiteConnectionSettings.read)
        return SQLiteStorageSettings(writer: writer, reader: reader)
    }

    /// Closes every connection, for an orderly shutdown.
    ///
    /// Blocks the calling thread until the running accesses finish (call it at shutdown, off
    /// any event loop); every later call throws. Dropping the last reference closes the
    /// connections too; this makes the moment explicit and reports errors instead of ignoring
    /// them.
    ///
    /// - Throws: A database error, for example if a statement is still running.
    public func close() throws {
        try self.pool.close()
    }

    /// Every connection, writer and readers, gets these settings when it opens.
    private static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.label = "CashbackStore"
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            // "FULL: ... In WAL mode when synchronous is FULL, the WAL file is synchronized
            // before each transaction commit is acknowledged" — without it a power cut can
            // lose acknowledged commits (https://www.sqlite.org/pragma.html#pragma_synchronous).
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // GRDB already enables them through `foreignKeysEnabled`; stated here as well so
            // the requirement is visible next to the other pragmas.
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        return configuration
    }

    /// The wall clock, in milliseconds since the Unix epoch: the default `clock`. Ids, not
    /// times, order the journal.
    @Sendable public static func wallClockMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000).rounded(.down))
    }
}
