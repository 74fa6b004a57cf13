import CashbackCore
import CashbackRepository
import Dispatch
import GRDB
import Testing
@testable import CashbackStore

/// Balances the read model does not hold, read in batches: what arrives during a read waits
/// for the next, which takes it all in one transaction.
@Suite("ColdBalanceReads: reads of balances not held, taken together", .timeLimit(.minutes(1)))
struct ColdBalanceReadsTests {
    /// A ledger with members `member-0` … `member-(count − 1)`, member-i credited with
    /// (i + 1) × 10.00 EUR of orders (5 % of it pending), handed to `body` with its path.
    static func withMembers(
        _ count: Int, _ body: (String) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory { directory in
            let path = ledgerPath(in: directory)
            let repository = try SQLiteLedgerRepository(path: path)
            _ = try await repository.upsertMerchant(try merchant()).get()
            for index in 0..<count {
                _ = try await repository.accrue(
                    try accrual(
                        "order-\(index)", memberID: "member-\(index)",
                        eligibleMinorUnits: Int64(index + 1) * 1_000)
                ).get()
            }
            try repository.close()
            try await body(path)
        }
    }

    /// A pool on `path` with one reader connection.
    static func pool(_ path: String) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.maximumReaderCount = 1
        return try DatabasePool(path: path, configuration: configuration)
    }

    /// Occupies `pool`'s only reader until the returned semaphore is signalled.
    static func holdTheOnlyReader(of pool: DatabasePool) -> DispatchSemaphore {
        let held = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        pool.asyncRead { _ in
            holding.signal()
            held.wait()
        }
        holding.wait()
        return held
    }

    /// Yields until `condition` holds; a test that times out is cancelled, and then this throws
    /// instead of spinning on.
    static func waitUntil(_ condition: () -> Bool) async throws {
        while !condition() {
            try Task.checkCancellation()
            await Task.yield()
        }
    }

    @Test("reads asked for while the reader is busy are read together, each its own balance")
    func readsQueuedDuringAReadShareTheNext() async throws {
        try await Self.withMembers(20) { path in
            let pool = try Self.pool(path)
            let reads = ColdBalanceReads(pool: pool)
            // The only reader is held until every read below has been asked for.
            let held = Self.holdTheOnlyReader(of: pool)
            let members = (0..<20).map { "member-\($0)" } + ["member-never-credited"]
            try await withThrowingTaskGroup(of: (String, Balance).self) { group in
                // The first read takes its batch and waits for the reader; only then are the
                // 20 others asked for, and they queue behind it (asked for at once, two could
                // land in the first batch).
                for (index, member) in members.enumerated() {
                    group.addTask {
                        (member, try await reads.balance(memberID: member, currency: try euro()))
                    }
                    if index == 0 { try await Self.waitUntil { reads.batchesRead == 1 } }
                }
                try await Self.waitUntil { reads.queuedCount == members.count - 1 }
                held.signal()
                for try await (member, balance) in group {
                    let expected = try await pool.read { db in
                        try SQLiteLedgerRepository.readBalance(
                            db, memberID: member, currency: try euro())
                    }
                    #expect(balance == expected)
                    #expect(balance.memberID == member)
                }
            }
            #expect(reads.batchesRead == 2)
            #expect(
                try await reads.balance(memberID: "member-19", currency: try euro())
                    .pendingMinorUnits == 1_000)
            #expect(reads.batchesRead == 3)
        }
    }

    @Test("a batch larger than the most one transaction takes is read in several")
    func batchesAreBounded() async throws {
        try await Self.withMembers(1) { path in
            let pool = try Self.pool(path)
            let reads = ColdBalanceReads(pool: pool)
            let held = Self.holdTheOnlyReader(of: pool)
            let count = ColdBalanceReads.batchMax + 11
            try await withThrowingTaskGroup(of: Balance.self) { group in
                for index in 0..<count {
                    group.addTask { try await reads.balance(memberID: "member-0", currency: try euro()) }
                    if index == 0 { try await Self.waitUntil { reads.batchesRead == 1 } }
                }
                try await Self.waitUntil { reads.queuedCount == count - 1 }
                held.signal()
                for try await balance in group { #expect(balance.pendingMinorUnits == 50) }
            }
            // One read alone, then batchMax, then the 10 left.
            #expect(reads.batchesRead == 3)
        }
    }

    @Test("a read that cannot begin fails its callers, and the next read is tried afresh")
    func aFailedTransactionFailsItsBatch() async throws {
        try await Self.withMembers(1) { path in
            let pool = try Self.pool(path)
            let reads = ColdBalanceReads(pool: pool)
            try pool.close()
            await #expect(throws: DatabaseError.self) {
                try await reads.balance(memberID: "member-0", currency: try euro())
            }
            await #expect(throws: DatabaseError.self) {
                try await reads.balance(memberID: "member-0", currency: try euro())
            }
            #expect(reads.batchesRead == 2)
        }
    }
}
