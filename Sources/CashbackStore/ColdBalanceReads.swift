import CashbackCore
import GRDB
import NIOConcurrencyHelpers

/// Reads of the balances the read model does not hold, taken together: the calls that ask
/// while a read is under way wait for the next one, which reads them all in one transaction on
/// one reader connection.
///
/// Such a read may wait for the disk (a page not cached at 10⁷ members), so it leaves the event
/// loop; the trip to a reader thread and back, not SQLite, was most of its cost (a profile
/// under load put SQLite at 7 % of the process, the thread switches and GRDB's queues at most of
/// the rest). Batched, a burst of cold reads pays for one trip and one transaction, as group
/// commit does for writes.
///
/// Each batch is its own transaction, begun after every read in it was asked for: a caller
/// sees every commit made before it asked, its own writes included. A read that fails (a
/// corrupt row) fails its caller alone; a transaction that cannot begin fails its batch.
///
/// ```swift
/// let reads = ColdBalanceReads(pool: pool)
/// let balance = try await reads.balance(memberID: "member-7", currency: euro)
/// ```
final class ColdBalanceReads: Sendable {
    /// The most reads one transaction takes; the rest wait for the next.
    static let batchMax = 256

    private struct Waiting: Sendable {
        let memberID: String
        let currency: CurrencyCode
        let continuation: CheckedContinuation<Balance, any Error>
    }

    private struct State {
        var queued: [Waiting] = []
        /// Whether a batch is being read: the calls that arrive meanwhile wait for the next.
        var reading = false
        /// Batches read so far (for tests and benchmarks).
        var batches = 0
    }

    private let pool: DatabasePool
    private let state = NIOLockedValueBox(State())

    init(pool: DatabasePool) {
        self.pool = pool
    }

    /// The balance as the file holds it (`SQLiteLedgerRepository.readBalance`), read with
    /// the others asked for at the same time.
    func balance(memberID: String, currency: CurrencyCode) async throws -> Balance {
        try await withCheckedThrowingContinuation { continuation in
            let starts = state.withLockedValue { state -> Bool in
                state.queued.append(
                    Waiting(memberID: memberID, currency: currency, continuation: continuation))
                guard !state.reading else { return false }
                state.reading = true
                return true
            }
            if starts { readNextBatch() }
        }
    }

    /// Batches read so far.
    var batchesRead: Int { state.withLockedValue { $0.batches } }

    /// Reads waiting for the next batch.
    var queuedCount: Int { state.withLockedValue { $0.queued.count } }

    /// Takes what is queued (at most ``batchMax``) and reads it on a reader connection; when
    /// done, reads the next batch if more has been queued, else stops.
    private func readNextBatch() {
        let batch = state.withLockedValue { state -> [Waiting] in
            guard !state.queued.isEmpty else {
                state.reading = false
                return []
            }
            let count = min(state.queued.count, Self.batchMax)
            let batch = Array(state.queued.prefix(count))
            state.queued.removeFirst(count)
            state.batches += 1
            return batch
        }
        guard !batch.isEmpty else { return }
        pool.asyncRead { [self] database in
            switch database {
            case .success(let db):
                for waiting in batch {
                    waiting.continuation.resume(
                        with: Result {
                            try SQLiteLedgerRepository.readBalance(
                                db, memberID: waiting.memberID, currency: waiting.currency)
                        })
                }
            case .failure(let error):
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
            readNextBatch()
        }
    }
}
