import CashbackRepository
import GRDB
import NIOConcurrencyHelpers

/// The server's reads of tokens: one per call, so answered from memory while the file has not
/// changed, on the caller's thread, without GRDB's async machinery.
///
/// `cashbackd token create|revoke` writes from another process, and a revocation must hold
/// from the next call. SQLite's `PRAGMA data_version` on a connection of our own changes
/// whenever another connection commits (it reads the WAL index in shared memory, no disk
/// I/O): while it is unchanged, the tokens held are current. When it changed (any commit,
/// including the ledger's own writes), what is held is dropped and the token is read again
/// by its key, a lookup in a table of a few rows whose pages the OS keeps cached. Both run
/// under a lock, on the caller's thread: short and never waiting for the writer (WAL). Calls
/// whose requests were received before the last check began share it (`receivedBy`): under
/// load, the calls one read completed pay for one check.
final class TokenLookup: ImmediateAccessTokenLookup {
    private struct State {
        var dataVersion: Int64 = -1
        var held: [String: StoredAccessToken] = [:]
        /// When the last check began: it saw every commit completed before then.
        var checkedAt: ContinuousClock.Instant?
    }

    /// Tokens held at most; the table holds few, but ids come from callers.
    private static let heldMax = 10_000
    private let connection: DatabaseQueue
    private let state = NIOLockedValueBox(State())

    /// Opens a read-only connection of its own to the ledger at `path`.
    init(path: String) throws {
        var configuration = Configuration()
        configuration.label = "CashbackTokenLookup"
        configuration.readonly = true
        configuration.busyMode = .timeout(SQLiteLedgerRepository.busyTimeout)
        self.connection = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// The token with this id, or nil.
    ///
    /// - Parameter receivedBy: When the caller's request had been received. If the last check
    ///   began after it, that check already saw every commit made before the request was
    ///   sent, and a token held since is answered without checking again: calls completed by
    ///   one read share one check.
    func token(id: String, receivedBy: ContinuousClock.Instant?) throws -> StoredAccessToken? {
        try state.withLockedValue { state in
            if let receivedBy, let checkedAt = state.checkedAt, receivedBy < checkedAt,
                let held = state.held[id]
            {
                return held
            }
            return try connection.inDatabase { db in
                let checking = ContinuousClock.now
                let version =
                    try Int64.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) ?? 0
                state.checkedAt = checking
                if version == state.dataVersion, let held = state.held[id] { return held }
                if version != state.dataVersion {
                    state.held.removeAll(keepingCapacity: true)
                    state.dataVersion = version
                }
                guard let token = try SQLiteAccessTokens.read(db, id: id) else { return nil }
                if state.held.count < Self.heldMax { state.held[id] = token }
                return token
            }
        }
    }

    func close() throws {
        try connection.close()
    }
}
