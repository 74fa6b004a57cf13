import CashbackCore
import CashbackRepository
import Foundation
import GRDB

/// The ledger on a SQLite file, through a GRDB `DatabasePool`.
///
/// - Durability: WAL journal and `synchronous = FULL` on every connection, so a commit is on
///   disk (the WAL is fsynced) before any answer leaves; a power cut loses no acknowledged
///   command.
/// - Writes: one writer (``LedgerWriter``) owns the write connection; commands queue to it and
///   are committed in batches (group commit: one transaction and one fsync per batch, each
///   command in its own savepoint), or one by one in ``CommitSettings/Mode/perRequest`` mode.
/// - Reads: balances come from an in-memory read model the writer keeps current
///   (``BalanceReadModel``); everything else, and balances it does not hold, runs on a pool of
///   reader connections over WAL snapshots that never wait for the writer, on GRDB's own
///   dispatch queues, never on the caller's executor.
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
    /// This process's ownership of the file, released by `close()` or at deinit.
    private let ownership: DatabaseOwnership
    /// The one writer: every mutating command goes through it.
    let writer: LedgerWriter
    /// Balances in memory, kept current by `writer`.
    let readModel: BalanceReadModel
    /// Reads of the balances `readModel` does not hold, batched.
    let coldReads: ColdBalanceReads
    /// The server's token lookups, from memory while the file is unchanged.
    let tokenLookup: TokenLookup

    /// Balances the read model holds by default: about 25 MiB.
    public static let balanceCacheEntriesDefault = 100_000

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
    ///   - commit: How the writer batches commands.
    ///   - balanceCacheEntries: The most balances held in memory (0: none; every balance is
    ///     then read from the file).
    ///   - metrics: Where the writer's batches and the ledger's totals are counted; `nil`:
    ///     nowhere (and no query of its own per batch).
    public init(
        path: String,
        policy: WalletPolicy = .default,
        clock: @escaping @Sendable () -> Int64 = SQLiteLedgerRepository.wallClockMilliseconds,
        commit: CommitSettings = .default,
        balanceCacheEntries: Int = SQLiteLedgerRepository.balanceCacheEntriesDefault,
        metrics: LedgerMetrics? = nil
    ) throws {
        if let problem = commit.problem() {
            throw LedgerStoreError(.storageMisconfigured, problem)
        }
        guard balanceCacheEntries >= 0 else {
            throw LedgerStoreError(
                .storageMisconfigured,
                "the balance cache size \(balanceCacheEntries) is negative; use 0 to disable it")
        }
        self.policy = policy
        self.clock = clock
        try DatabasePreflight.check(path)
        self.ownership = try DatabaseOwnership(databasePath: path)
        try DatabasePreflight.createPrivately(path)
        do {
            self.pool = try DatabasePool(path: path, configuration: Self.configuration())
            try Self.checkIsALedger(self.pool, path: path)
        } catch let error as DatabaseError {
            throw Self.unavailable(error, path: path)
        }
        // `DatabasePool` switches its writer to WAL *after* `prepareDatabase` ran, and with it
        // sets `synchronous = NORMAL` (GRDB's `Database.setUpWALMode()`): a power cut could
        // then lose acknowledged commits. The writer connection lives as long as the pool, so
        // setting FULL again once, here, holds for every write.
        try self.pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        // A file a newer cashbackd migrated holds what this one does not know how to keep
        // (v6's record of what expired, say): writing to it would break that newer version's
        // books without a trace.
        if try self.pool.read(Migrations.migrator.hasBeenSuperseded) {
            throw LedgerStoreError(
                .databaseUnavailable,
                "the database \(path) was written by a newer cashbackd (its schema has migrations "
                    + "this one does not know); run that version, or restore a backup taken "
                    + "before it")
        }
        try Migrations.migrator.migrate(self.pool)
        // Check what SQLite reports, not what was asked: both kinds of connection.
        let writer = try self.pool.writeWithoutTransaction(SQLiteConnectionSettings.read)
        try writer.checkRequired()
        let reader = try self.pool.read(SQLiteConnectionSettings.read)
        try reader.checkRequired()
        try self.pool.writeWithoutTransaction(BalanceReadModel.installTriggers)
        let catalog = WriterCatalog()
        try self.pool.writeWithoutTransaction(catalog.install)
        self.tokenLookup = try TokenLookup(path: path)
        self.readModel = BalanceReadModel(entriesMax: balanceCacheEntries)
        self.coldReads = ColdBalanceReads(pool: self.pool)
        let pool = self.pool
        let totals = try metrics.map { metrics in
            try pool.read { db in try LedgerTotals(factory: metrics.factory, db: db) }
        }
        self.writer = LedgerWriter(
            pool: self.pool, settings: commit, readModel: self.readModel, catalog: catalog,
            metrics: metrics, totals: totals)
    }

    /// What the writer did so far: batches, their sizes, time spent committing.
    public func writerStatistics() -> WriterStatistics {
        self.writer.statistics.withLockedValue { $0 }
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
        self.writer.close()
        self.readModel.close()
        try self.tokenLookup.close()
        try self.pool.close()
        self.ownership.release()
    }

    deinit {
        // Dropped without `close()`: the writer finishes what is queued and its thread ends.
        self.writer.requestStop()
    }

    /// Refuses a SQLite file of another application: tables, but not the ledger's migrations.
    private static func checkIsALedger(_ pool: DatabasePool, path: String) throws {
        let tables = try pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
        guard tables.isEmpty || isLedger(tables: tables)
        else {
            throw LedgerStoreError(
                .databaseUnavailable,
                "the database \(path) is a SQLite file of another application (tables: "
                    + tables.prefix(5).joined(separator: ", ")
                    + (tables.count > 5 ? ", …" : "") + "); choose another --database")
        }
    }

    /// Whether a file with these tables is a ledger: it ran our migrations.
    static func isLedger(tables: [String]) -> Bool {
        tables.contains("grdb_migrations") && tables.contains("merchants")
    }

    /// A SQLite error at opening, in words: the path and the cause.
    private static func unavailable(_ error: DatabaseError, path: String) -> LedgerStoreError {
        // SQLITE_NOTADB (26): "file is not a database"; SQLITE_CORRUPT (11): malformed;
        // SQLITE_CANTOPEN (14), SQLITE_READONLY (8), SQLITE_IOERR (10): the file system.
        let cause: String =
            switch error.resultCode {
            case .SQLITE_NOTADB: "it is not a SQLite database"
            case .SQLITE_CORRUPT: "it is a damaged SQLite database"
            case .SQLITE_CANTOPEN: "it cannot be opened"
            case .SQLITE_READONLY: "it is read-only"
            default: error.message ?? "SQLite error \(error.resultCode.rawValue)"
            }
        return LedgerStoreError(.databaseUnavailable, "cannot open the database \(path): \(cause)")
    }

    /// Every connection, writer and readers, gets these settings when it opens.
    private static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.label = "CashbackStore"
        configuration.foreignKeysEnabled = true
        // `cashbackd token …` may write beside the server: each side waits for the other's
        // write lock (a token write is one short transaction) rather than fail "database is
        // locked".
        configuration.busyMode = .timeout(Self.busyTimeout)
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
