import CashbackRepository
import GRDB

/// The pragmas of the ledger's connections, read back from SQLite.
///
/// ```swift
/// let settings = try await repository.storageSettings()
/// assert(settings.writer.journalMode == "wal")
/// ```
public struct SQLiteStorageSettings: Hashable, Sendable {
    /// The writer connection's settings.
    public var writer: SQLiteConnectionSettings
    /// A reader connection's settings.
    public var reader: SQLiteConnectionSettings

    /// Creates the settings of both kinds of connection.
    ///
    /// - Parameters:
    ///   - writer: The writer connection's settings.
    ///   - reader: A reader connection's settings.
    public init(writer: SQLiteConnectionSettings, reader: SQLiteConnectionSettings) {
        self.writer = writer
        self.reader = reader
    }
}

/// The pragmas of one SQLite connection.
public struct SQLiteConnectionSettings: Hashable, Sendable {
    /// `PRAGMA journal_mode`, lowercased, for example `wal`.
    public var journalMode: String
    /// `PRAGMA synchronous`: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.
    public var synchronous: Int
    /// `PRAGMA foreign_keys`.
    public var foreignKeysEnabled: Bool

    /// The `synchronous` level the ledger requires: FULL.
    public static let synchronousFull = 2

    /// Creates connection settings.
    ///
    /// - Parameters:
    ///   - journalMode: The journal mode, lowercased.
    ///   - synchronous: The synchronous level.
    ///   - foreignKeysEnabled: Whether foreign keys are enforced.
    public init(journalMode: String, synchronous: Int, foreignKeysEnabled: Bool) {
        self.journalMode = journalMode
        self.synchronous = synchronous
        self.foreignKeysEnabled = foreignKeysEnabled
    }

    /// Reads the pragmas of the connection `db`.
    static func read(_ db: Database) throws -> SQLiteConnectionSettings {
        let journalMode = try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? ""
        let synchronous = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
        let foreignKeys = try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") ?? false
        return SQLiteConnectionSettings(
            journalMode: journalMode.lowercased(),
            synchronous: synchronous,
            foreignKeysEnabled: foreignKeys
        )
    }

    /// Throws unless these are the settings the ledger's durability promise rests on.
    func checkRequired() throws {
        guard self.journalMode == "wal" else {
            throw LedgerStoreError(
                .storageMisconfigured,
                "journal_mode is \(self.journalMode), not wal"
            )
        }
        guard self.synchronous == Self.synchronousFull else {
            throw LedgerStoreError(
                .storageMisconfigured,
                "synchronous is \(self.synchronous), not FULL (2)"
            )
        }
        guard self.foreignKeysEnabled else {
            throw LedgerStoreError(.storageMisconfigured, "foreign_keys is off")
        }
    }
}
