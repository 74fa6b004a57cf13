import CashbackCore
import CashbackRepository
import Foundation
import GRDB

/// Bearer tokens in the ledger file's `access_tokens` table.
///
/// The server reads a call's token through its own pool; `cashbackd token …` writes through
/// ``open(path:)`` while the server runs, without taking the file's ownership (a token write is
/// one short transaction, and both sides wait for the other's write lock instead of failing).
public struct SQLiteAccessTokens: AccessTokenStore {
    private let writer: any DatabaseWriter
    /// Set when this value opened the file itself (the CLI): closed by ``close()``.
    private let ownedRepository: SQLiteLedgerRepository?
    /// The server's lookups, from memory while the file is unchanged; nil: read each time.
    private let lookup: TokenLookup?

    init(
        writer: any DatabaseWriter, ownedRepository: SQLiteLedgerRepository? = nil,
        lookup: TokenLookup? = nil
    ) {
        self.writer = writer
        self.ownedRepository = ownedRepository
        self.lookup = lookup
    }

    /// Opens the tokens of the ledger at `path`, for `cashbackd token …`.
    ///
    /// When no server owns the file, it is opened (created and migrated if missing) as the
    /// server would; while a server owns it, a plain connection is opened beside the server's,
    /// which must have migrated the file already.
    ///
    /// - Throws: `LedgerStoreError` naming the path and the cause.
    public static func open(path: String) throws -> SQLiteAccessTokens {
        do {
            let repository = try SQLiteLedgerRepository(path: path)
            return SQLiteAccessTokens(writer: repository.pool, ownedRepository: repository)
        } catch let error as LedgerStoreError where error.code == .databaseInUse {
            var configuration = Configuration()
            configuration.label = "CashbackTokens"
            configuration.busyMode = .timeout(SQLiteLedgerRepository.busyTimeout)
            let queue: DatabaseQueue
            do {
                queue = try DatabaseQueue(path: path, configuration: configuration)
                try queue.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA synchronous = FULL")
                }
                let migrated = try queue.read { db in try db.tableExists("access_tokens") }
                guard migrated else {
                    throw LedgerStoreError(
                        .databaseUnavailable,
                        "the server running on \(path) is older than this cashbackd and has no "
                            + "tokens table; stop it, then run this command again")
                }
            } catch let error as DatabaseError {
                throw LedgerStoreError(
                    .databaseUnavailable,
                    "cannot open the database \(path): \(error.message ?? "\(error.resultCode)")")
            }
            return SQLiteAccessTokens(writer: queue)
        }
    }

    /// Closes the file when this value opened it as its owner.
    public func close() throws {
        try ownedRepository?.close()
    }

    public func insert(_ token: StoredAccessToken) throws {
        try writer.write { db in
            let taken = try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM access_tokens WHERE name = ? AND revoked_ms IS NULL",
                arguments: [token.grant.name]) ?? false
            guard !taken else {
                throw AccessTokenError(
                    "an active token is already named '\(token.grant.name)'; choose another "
                        + "--name, or revoke it first")
            }
            try db.execute(
                sql: """
                    INSERT INTO access_tokens
                        (id, name, scopes, merchant_id, digest, created_ms, revoked_ms)
                    VALUES (?, ?, ?, ?, ?, ?, NULL)
                    """,
                arguments: [
                    token.id, token.grant.name, AccessScope.list(token.grant.scopes),
                    token.grant.merchantID, Data(token.digest), token.createdAtMilliseconds,
                ])
        }
    }

    public func token(id: String) async throws -> StoredAccessToken? {
        try await token(id: id, receivedBy: nil)
    }

    public func token(id: String, receivedBy: ContinuousClock.Instant?) async throws
        -> StoredAccessToken?
    {
        if let lookup { return try lookup.token(id: id, receivedBy: receivedBy) }
        return try await writer.read { db in try Self.read(db, id: id) }
    }

    /// The server's lookup (``TokenLookup``), which answers on the caller's thread; `nil` for
    /// the command line's store.
    public var immediateLookup: (any ImmediateAccessTokenLookup)? { lookup }

    /// The token with this id, or nil.
    static func read(_ db: Database, id: String) throws -> StoredAccessToken? {
        try Row.fetchOne(
            db, sql: "SELECT * FROM access_tokens WHERE id = ?", arguments: [id]
        ).map(Self.token)
    }

    public func allTokens() throws -> [StoredAccessToken] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM access_tokens ORDER BY created_ms, id")
                .map(Self.token)
        }
    }

    public func revoke(name: String, nowMilliseconds: Int64) throws -> StoredAccessToken {
        try writer.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT * FROM access_tokens WHERE name = ? AND revoked_ms IS NULL",
                    arguments: [name])
            else {
                throw AccessTokenError(
                    "no active token is named '\(name)'; `cashbackd token list` shows them")
            }
            let token = try Self.token(row)
            try db.execute(
                sql: "UPDATE access_tokens SET revoked_ms = ? WHERE id = ?",
                arguments: [nowMilliseconds, token.id])
            return StoredAccessToken(
                id: token.id, grant: token.grant, digest: token.digest,
                createdAtMilliseconds: token.createdAtMilliseconds,
                revokedAtMilliseconds: nowMilliseconds)
        }
    }

    private static func token(_ row: Row) throws -> StoredAccessToken {
        let id: String = row["id"]
        do throws(LedgerRejection) {
            let grant = try AccessGrant(
                name: row["name"], scopes: try AccessScope.parseList(row["scopes"]),
                merchantID: row["merchant_id"])
            let digest: Data = row["digest"]
            return StoredAccessToken(
                id: id, grant: grant, digest: Array(digest), createdAtMilliseconds: row["created_ms"],
                revokedAtMilliseconds: row["revoked_ms"])
        } catch {
            throw LedgerStoreError(.corruptRow, "access token \(id): \(error.message)")
        }
    }
}

extension SQLiteLedgerRepository {
    /// How long a connection waits for another's write lock (a token command beside the
    /// server) before failing, in seconds.
    static let busyTimeout: TimeInterval = 10

    /// The bearer tokens of this ledger file.
    public var accessTokens: SQLiteAccessTokens {
        SQLiteAccessTokens(writer: pool, lookup: tokenLookup)
    }
}
