import CashbackCore
import GRDB
import NIOConcurrencyHelpers
import NIOCore

/// Balances in memory, kept current by the writer: `balance(memberID:currency:)` answers from
/// here without a transaction, a thread hop or GRDB's async machinery.
///
/// - Filled by reads: a miss reads the file (on a reader connection, off the caller's thread)
///   and offers what it read. The offer is refused if a batch published since the read began
///   touched that balance, so a value from an older snapshot never replaces a newer one.
/// - Kept current by the writer: inside each batch's transaction, the balances the batch
///   touched (recorded by temporary triggers on the writer connection) are read again if they
///   are held here; after the commit they are replaced, and touched balances that were not
///   read again are dropped. A command is answered after that, so a caller always sees its
///   own writes.
/// - Bounded: at most `entriesMax` balances; the oldest inserted is evicted first. A member
///   not held here is read from the file, so correctness never depends on the bound.
final class BalanceReadModel: Sendable {
    struct Key: Hashable, Sendable {
        var memberID: String
        var currency: CurrencyCode
    }

    private struct State {
        var entries: [Key: Balance] = [:]
        /// Insertion order, for eviction: a ring of `entriesMax` slots.
        var ring: [Key?]
        var ringNext = 0
        /// Incremented by each published batch.
        var epoch: UInt64 = 0
        /// The keys touched by the most recent batches that touched any, oldest first.
        var recent = CircularBuffer<(epoch: UInt64, keys: Set<Key>)>(initialCapacity: 64)
        /// Batches up to this epoch are no longer in `recent`: an offer from a read that began
        /// before it cannot be judged and is refused.
        var forgottenThrough: UInt64 = 0
        /// Set by `close()`: nothing is held or served any more.
        var closed = false
    }

    /// How many published batches are remembered to judge an offer.
    private static let recentBatchesMax = 64
    private let state: NIOLockedValueBox<State>
    /// The most balances held.
    let entriesMax: Int

    init(entriesMax: Int) {
        precondition(entriesMax >= 0, "a negative bound")
        self.entriesMax = entriesMax
        self.state = NIOLockedValueBox(State(ring: Array(repeating: nil, count: entriesMax)))
    }

    /// The balance held for the key, if any.
    func cached(_ key: Key) -> Balance? {
        state.withLockedValue { $0.entries[key] }
    }

    /// How many balances are held.
    var count: Int {
        state.withLockedValue { $0.entries.count }
    }

    /// Forgets everything and holds nothing more: the ledger is closed, and its reads must fail
    /// as the file's do.
    func close() {
        state.withLockedValue { state in
            state.closed = true
            state.entries = [:]
            state.ring = []
        }
    }

    /// The number of batches published so far; a reader takes it before reading the file.
    var epoch: UInt64 {
        state.withLockedValue { $0.epoch }
    }

    /// Holds a balance read from the file by a read that began at `epoch`, unless a batch
    /// published since touched it.
    func offer(_ balance: Balance, readAtEpoch epoch: UInt64) {
        guard entriesMax > 0 else { return }
        let key = Key(memberID: balance.memberID, currency: balance.currency)
        state.withLockedValue { state in
            guard !state.closed else { return }
            if state.epoch != epoch {
                guard state.forgottenThrough <= epoch else { return }
                for batch in state.recent where batch.epoch > epoch && batch.keys.contains(key) {
                    return
                }
            }
            Self.insert(balance, key: key, into: &state, entriesMax: entriesMax)
        }
    }

    private static func insert(
        _ balance: Balance, key: Key, into state: inout State, entriesMax: Int
    ) {
        guard entriesMax > 0, !state.closed else { return }
        if state.entries.updateValue(balance, forKey: key) != nil { return }
        if let evicted = state.ring[state.ringNext], evicted != key {
            state.entries[evicted] = nil
        }
        state.ring[state.ringNext] = key
        state.ringNext = (state.ringNext + 1) % entriesMax
    }

    // MARK: The writer's side

    /// Creates the temporary table and triggers that record which balances a transaction
    /// touched. Run once on the writer connection; temporary objects belong to it alone.
    ///
    /// The table has no key: a statement in a trigger takes the conflict policy of the
    /// statement that fired it (an upsert's), so duplicates are removed when read instead.
    static func installTriggers(_ db: Database) throws {
        try db.execute(
            sql: """
                PRAGMA temp_store = MEMORY;
                CREATE TEMP TABLE IF NOT EXISTS touched_balances (
                    member_id TEXT NOT NULL,
                    currency TEXT NOT NULL
                );
                """)
        // Every change of a balance row or of a lot (the next expiry) names its balance.
        for table in ["balances", "lots"] {
            for event in ["INSERT", "UPDATE"] {
                try db.execute(
                    sql: """
                        CREATE TEMP TRIGGER IF NOT EXISTS touched_by_\(table)_\(event.lowercased())
                        AFTER \(event) ON main.\(table) BEGIN
                            INSERT INTO touched_balances VALUES (new.member_id, new.currency);
                        END
                        """)
            }
        }
    }

    /// Inside the batch's transaction: the balances it touched, and the new value of those held
    /// here. Empties the record for the next batch.
    func freshEntries(_ db: Database) throws -> (touched: Set<Key>, refreshed: [Key: Balance]) {
        var touched = Set<Key>()
        let rows = try Row.fetchCursor(
            db, sql: "SELECT member_id, currency FROM temp.touched_balances")
        while let row = try rows.next() {
            touched.insert(
                Key(memberID: row[0], currency: try StoredValues.currency(row, column: "currency")))
        }
        guard !touched.isEmpty else { return ([], [:]) }
        try db.execute(sql: "DELETE FROM temp.touched_balances")
        let held = state.withLockedValue { state in touched.filter { state.entries[$0] != nil } }
        var refreshed: [Key: Balance] = [:]
        for key in held {
            refreshed[key] = try SQLiteLedgerRepository.readBalance(
                db, memberID: key.memberID, currency: key.currency)
        }
        return (touched, refreshed)
    }

    /// After the commit: replaces the touched balances read again, drops the other touched
    /// ones, and remembers the batch's keys for `offer`.
    func publish(touched: Set<Key>, refreshed: [Key: Balance]) {
        state.withLockedValue { state in
            state.epoch += 1
            guard !touched.isEmpty else { return }
            for key in touched {
                if let fresh = refreshed[key] {
                    Self.insert(fresh, key: key, into: &state, entriesMax: entriesMax)
                } else {
                    // Not held when the batch ran, yet perhaps offered since from an older
                    // snapshot.
                    state.entries[key] = nil
                }
            }
            if state.recent.count == Self.recentBatchesMax {
                state.forgottenThrough = state.recent.removeFirst().epoch
            }
            state.recent.append((state.epoch, touched))
        }
    }
}
