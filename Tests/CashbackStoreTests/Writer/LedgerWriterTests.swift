import CashbackCore
import CashbackRepository
import Dispatch
import GRDB
import Testing
@testable import CashbackStore

/// Holds the writer's thread inside a command until released, so that a test can queue
/// commands behind it and know exactly which batch they form.
struct BlockedWriter {
    let release = DispatchSemaphore(value: 0)
    let blocker: Task<Void, any Error>

    init(_ repository: SQLiteLedgerRepository) async {
        let (entered, enteredContinuation) = AsyncStream.makeStream(of: Void.self)
        let release = self.release
        self.blocker = Task {
            try await repository.writer.perform { _ in
                enteredContinuation.finish()
                release.wait()
            }
        }
        for await _ in entered {}
    }

    /// Waits (without sleeping) until `count` commands are queued behind the blocker.
    static func waitUntilQueued(_ repository: SQLiteLedgerRepository, _ count: Int) async {
        while repository.writer.queuedCount < count { await Task.yield() }
    }

    func open() async throws {
        release.signal()
        try await blocker.value
    }
}

@Suite("LedgerWriter: group commit")
struct LedgerWriterTests {
    @Test("commands queued while a batch commits form the next batch, one commit for all")
    func queuedCommandsFormOneBatch() async throws {
        try await withLedger { repository in
            let blocked = await BlockedWriter(repository)
            let commands = try (0..<20).map { try accrual("order-\($0)", memberID: "member-\($0)") }
            async let records = withThrowingTaskGroup(of: AccrualRecord?.self) { group in
                for command in commands {
                    group.addTask { try await repository.accrue(command).success?.record }
                }
                return try await group.reduce(into: [AccrualRecord?]()) { $0.append($1) }
            }
            await BlockedWriter.waitUntilQueued(repository, 20)
            let before = repository.writerStatistics()
            try await blocked.open()
            #expect(try await records.compactMap { $0 }.count == 20)

            let after = repository.writerStatistics()
            #expect(after.batchSizes[20, default: 0] - before.batchSizes[20, default: 0] == 1)
            #expect(after.batches - before.batches == 2)  // the blocker's, then the 20
            #expect(after.batchSize(atFraction: 1) == after.largestBatch)
            #expect(WriterStatistics(batches: 4, batchSizes: [1: 3, 20: 1]).batchSize(atFraction: 0.5) == 1)
            #expect(WriterStatistics(batches: 4, batchSizes: [1: 3, 20: 1]).batchSize(atFraction: 0.9) == 20)
            #expect(try await repository.verifyBooks().isBalanced)
        }
    }

    /// A ledger as `withLedger` makes it, with these writer settings.
    func withLedger(
        mode: CommitSettings.Mode = .group, queueMax: Int = 100,
        _ body: (SQLiteLedgerRepository) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory { directory in
            let repository = try SQLiteLedgerRepository(
                path: ledgerPath(in: directory),
                commit: CommitSettings(
                    mode: mode, batchMaxInGroupMode: 512, linger: .zero, queueMax: queueMax))
            _ = try await repository.upsertMerchant(merchant())
            try await body(repository)
            try repository.close()
        }
    }

    @Test("per-request mode commits every command alone")
    func perRequestModeCommitsAlone() async throws {
        try await withLedger(mode: .perRequest) { repository in
            let blocked = await BlockedWriter(repository)
            async let results = withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<5 {
                    let command = try accrual("order-\(index)")
                    group.addTask { try await repository.accrue(command).success != nil }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            await BlockedWriter.waitUntilQueued(repository, 5)
            try await blocked.open()
            #expect(try await results == 5)
            let statistics = repository.writerStatistics()
            #expect(statistics.largestBatch == 1)
            #expect(statistics.batches == statistics.commands)
        }
    }

    @Test("a command that fails is rolled back alone; its batch neighbours commit")
    func aFailingCommandFailsAlone() async throws {
        try await withLedger { repository in
            let blocked = await BlockedWriter(repository)
            let first = try accrual("order-1")
            let second = try accrual("order-2")
            async let a = repository.accrue(first)
            await BlockedWriter.waitUntilQueued(repository, 1)
            let bad = Task {
                try await repository.writer.perform { db in
                    try db.execute(sql: "UPDATE merchants SET name = 'changed'")
                    try db.execute(sql: "INSERT INTO no_such_table VALUES (1)")
                }
            }
            await BlockedWriter.waitUntilQueued(repository, 2)
            async let b = repository.accrue(second)
            await BlockedWriter.waitUntilQueued(repository, 3)
            try await blocked.open()

            #expect(try await a.success != nil)
            await #expect(throws: DatabaseError.self) { try await bad.value }
            // Its first statement was rolled back with its savepoint.
            #expect(try await repository.pool.read { db in
                try String.fetchOne(db, sql: "SELECT name FROM merchants")
            } != "changed")
            #expect(try await b.success != nil)
            #expect(repository.writerStatistics().batchSizes[3] == 1)
            let books = try await repository.verifyBooks()
            #expect(books.isBalanced)
            #expect(books.journalEntryCount == 2)
        }
    }

    @Test("a command that refuses is rolled back alone and answered its refusal; neighbours commit")
    func aRefusingCommandIsRolledBack() async throws {
        try await withLedger { repository in
            let blocked = await BlockedWriter(repository)
            async let a = repository.accrue(try accrual("order-1"))
            await BlockedWriter.waitUntilQueued(repository, 1)
            let refusing = Task {
                try await repository.writer.perform(refusable: { db -> Result<Int, LedgerRejection> in
                    try db.execute(sql: "UPDATE merchants SET name = 'changed'")
                    return .failure(LedgerRejection(.invalidArgument, "refused after writing"))
                })
            }
            await BlockedWriter.waitUntilQueued(repository, 2)
            let keeping = Task {
                try await repository.writer.perform(refusable: { db -> Result<Int, LedgerRejection> in
                    try db.execute(sql: "UPDATE merchants SET updated_ms = 42")
                    return .success(1)
                })
            }
            await BlockedWriter.waitUntilQueued(repository, 3)
            async let b = repository.accrue(try accrual("order-2"))
            await BlockedWriter.waitUntilQueued(repository, 4)
            try await blocked.open()

            #expect(try await a.success != nil)
            #expect(try await refusing.value.failure?.message == "refused after writing")
            #expect(try await keeping.value.success == 1)
            #expect(try await b.success != nil)
            let (name, updated) = try await repository.pool.read { db in
                let row = try #require(try Row.fetchOne(db, sql: "SELECT name, updated_ms FROM merchants"))
                return (row["name"] as String, row["updated_ms"] as Int64)
            }
            #expect(name != "changed")
            #expect(updated == 42)
            #expect(repository.writerStatistics().batchSizes[4] == 1)
            #expect(try await repository.verifyBooks().journalEntryCount == 2)
        }
    }

    @Test("a batch SQLite rolled back answers every command with the error, and commits nothing")
    func aRolledBackBatchFailsEveryCommand() async throws {
        try await withLedger { repository in
            let blocked = await BlockedWriter(repository)
            let command = try accrual("order-1")
            let a = Task { try await repository.accrue(command) }
            await BlockedWriter.waitUntilQueued(repository, 1)
            let rollback = Task {
                try await repository.writer.perform { db in try db.execute(sql: "ROLLBACK") }
            }
            await BlockedWriter.waitUntilQueued(repository, 2)
            try await blocked.open()

            await #expect(throws: (any Error).self) { try await a.value }
            await #expect(throws: (any Error).self) { try await rollback.value }
            #expect(try await repository.verifyBooks().journalEntryCount == 0)
            #expect(try await repository.accrual(order("order-1")).failure?.code == .accrualNotFound)
            // The writer goes on.
            #expect(try await repository.accrue(try accrual("order-2")).success != nil)
        }
    }

    @Test("a full queue refuses at once with writeQueueFull, and nothing of it is applied")
    func aFullQueueRefuses() async throws {
        try await withLedger(queueMax: 2) { repository in
            let blocked = await BlockedWriter(repository)
            async let first = repository.accrue(try accrual("order-1"))
            async let second = repository.accrue(try accrual("order-2"))
            await BlockedWriter.waitUntilQueued(repository, 2)
            await #expect {
                _ = try await repository.accrue(try accrual("order-3"))
            } throws: { error in
                (error as? LedgerStoreError)?.code == .writeQueueFull
                    && "\(error)".contains("write queue is full")
            }
            try await blocked.open()
            #expect(try await first.success != nil)
            #expect(try await second.success != nil)
            #expect(try await repository.accrual(order("order-3")).failure?.code == .accrualNotFound)
        }
    }

    @Test("a caller cancelled while its command waits is answered CancellationError and skipped")
    func aCancelledCommandIsSkipped() async throws {
        try await withLedger { repository in
            let blocked = await BlockedWriter(repository)
            let command = try accrual("order-1")
            let caller = Task { try await repository.accrue(command) }
            await BlockedWriter.waitUntilQueued(repository, 1)
            caller.cancel()
            await #expect(throws: CancellationError.self) { try await caller.value }
            try await blocked.open()
            #expect(try await repository.accrual(order("order-1")).failure?.code == .accrualNotFound)
        }
    }

    @Test("settings out of range are refused at opening, naming the setting")
    func settingsAreChecked() async throws {
        try await withTemporaryDirectory { directory in
            let cases: [(CommitSettings, String)] = [
                (CommitSettings(mode: .group, batchMaxInGroupMode: 0, linger: .zero, queueMax: 10),
                 "batch size 0"),
                (CommitSettings(mode: .group, batchMaxInGroupMode: 8, linger: .zero, queueMax: 0),
                 "write queue size 0"),
                (CommitSettings(
                    mode: .group, batchMaxInGroupMode: 8, linger: .seconds(1), queueMax: 10),
                 "linger"),
            ]
            for (settings, fragment) in cases {
                #expect {
                    _ = try SQLiteLedgerRepository(path: ledgerPath(in: directory), commit: settings)
                } throws: { error in
                    (error as? LedgerStoreError)?.code == .storageMisconfigured
                        && "\(error)".contains(fragment)
                }
            }
        }
    }
}
