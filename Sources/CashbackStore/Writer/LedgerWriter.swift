import CashbackCore
import CashbackRepository
import Foundation
import GRDB
import NIOConcurrencyHelpers
import NIOCore

/// The one writer of a ledger file, with group commit.
///
/// Every mutating command is queued here as a closure over the write connection. A thread of
/// the writer's own takes a batch (everything queued, up to ``CommitSettings/batchMax``, after
/// waiting at most ``CommitSettings/linger`` for more), opens one `BEGIN IMMEDIATE`
/// transaction, applies each command in its own savepoint (a command that throws, or refuses
/// through ``perform(refusable:)``, is rolled back alone and fails alone), brings the balance
/// read model's entries of the touched balances up to date, commits once (one WAL fsync under
/// `synchronous = FULL`), publishes the read model, and only then answers every command of the
/// batch. A commit that fails answers every command of the batch with the error: nothing of
/// them was committed.
///
/// A caller that is cancelled before its command was applied gets `CancellationError` and its
/// command is skipped; once applied, it rides with its batch: a caller never aborts a shared
/// batch. A full queue refuses at once with `LedgerStoreError.Code.writeQueueFull`.
///
/// Why a thread and not a task: the writer blocks in SQLite (the fsync), and a blocked
/// cooperative-pool thread is one of the two threads this service has. GRDB's
/// `writeWithoutTransaction` called from this thread runs the batch on it (a synchronous
/// dispatch onto GRDB's serial writer queue), so a batch costs no thread hop of its own.
final class LedgerWriter: @unchecked Sendable {
    /// Guards `queue`, `state` and `idle`; signalled when a command arrives or the writer
    /// should stop. `NSCondition` is a pthread mutex and condition, which ThreadSanitizer sees.
    private let condition = NSCondition()
    /// Commands waiting for a batch. Guarded by `condition`.
    private var queue = CircularBuffer<any WriterCommand>(initialCapacity: 256)
    /// Guarded by `condition`.
    private var state = State.running
    private let pool: DatabasePool
    private let settings: CommitSettings
    private let readModel: BalanceReadModel
    /// Merchants and rule sets as this connection read them; emptied here when a command or a
    /// batch is rolled back (see `WriterCatalog`).
    let catalog: WriterCatalog
    /// Batch sizes and commits, for benchmarks and tests.
    let statistics = NIOLockedValueBox(WriterStatistics())
    /// Where batches and queue depth are counted; `nil`: nowhere.
    private let metrics: LedgerMetrics?
    /// The ledger's totals, counted from what each batch commits; `nil`: not counted.
    private let totals: LedgerTotals?
    /// Signalled by the thread when it has finished.
    private let finished = NSCondition()
    /// Guarded by `finished`.
    private var hasFinished = false

    private enum State {
        case running
        case stopping
    }

    /// Starts the writer's thread.
    ///
    /// - Parameters:
    ///   - metrics: where batches and the queue depth are counted; `nil`: nowhere.
    ///   - totals: the ledger's totals, counted per committed batch; `nil`: not counted (no
    ///     query of its own per batch).
    ///   - catalog: installed on the writer's connection already (`WriterCatalog.install`).
    init(
        pool: DatabasePool, settings: CommitSettings, readModel: BalanceReadModel,
        catalog: WriterCatalog, metrics: LedgerMetrics? = nil, totals: LedgerTotals? = nil
    ) {
        self.pool = pool
        self.settings = settings
        self.readModel = readModel
        self.catalog = catalog
        self.metrics = metrics
        self.totals = totals
        let thread = Thread { [self] in self.run() }
        thread.name = "cashback-writer"
        thread.start()
    }

    /// Queues `work` for the next batch and returns its result once the batch is committed.
    ///
    /// `work` runs on the writer's thread inside a savepoint of the batch's transaction; it
    /// must not start or end transactions itself (savepoints are fine).
    ///
    /// - Throws: What `work` threw (its savepoint was rolled back); the commit's error (nothing
    ///   of the batch was committed); `LedgerStoreError` `.writeQueueFull` or
    ///   `.databaseUnavailable` (closed) without queueing; `CancellationError` if the caller was
    ///   cancelled before its command was applied.
    func perform<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await self.perform(QueuedCommand(work, keeps: { _ in true }))
    }

    /// Like ``perform(_:)``, for a command that answers a refusal as a value: a `.failure`
    /// rolls the command's savepoint back as a throw does, so that a refused command leaves
    /// nothing behind whatever it wrote before it refused, without a savepoint of its own
    /// inside the writer's (two statements, `SAVEPOINT` and `RELEASE`, fewer per command).
    ///
    /// - Returns: What `work` answered; its writes are committed only with a `.success`.
    func perform<T: Sendable>(
        refusable work: @escaping @Sendable (Database) throws -> Result<T, LedgerRejection>
    ) async throws -> Result<T, LedgerRejection> {
        try await self.perform(
            QueuedCommand(work, keeps: { if case .success = $0 { true } else { false } }))
    }

    private func perform<T: Sendable>(_ command: QueuedCommand<T>) async throws -> T {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard command.install(continuation) else {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                if let refusal = self.enqueue(command) {
                    command.refuse(refusal)
                }
            }
        } onCancel: {
            command.cancel()
        }
    }

    /// Adds a command to the queue, or says why not.
    private func enqueue(_ command: any WriterCommand) -> LedgerStoreError? {
        condition.lock()
        defer { condition.unlock() }
        guard case .running = state else {
            return LedgerStoreError(.databaseUnavailable, "the ledger is closed")
        }
        guard queue.count < settings.queueMax else {
            return LedgerStoreError(
                .writeQueueFull,
                "the ledger's write queue is full (\(settings.queueMax) commands waiting); "
                    + "nothing was applied, retry with backoff")
        }
        queue.append(command)
        metrics?.queueDepth.record(queue.count)
        if queue.count == 1 { condition.signal() }
        return nil
    }

    /// Applies what is queued, then stops the thread; later commands are refused. Blocks until
    /// the thread has finished: call it at shutdown, off any event loop.
    func close() {
        requestStop()
        finished.lock()
        while !hasFinished { finished.wait() }
        finished.unlock()
    }

    /// Commands waiting for a batch.
    var queuedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    /// Like `close()`, without waiting for the thread (for a repository dropped unclosed).
    func requestStop() {
        condition.lock()
        state = .stopping
        condition.signal()
        condition.unlock()
    }

    // MARK: The writer's thread

    private func run() {
        while let batch = nextBatch() {
            commit(batch)
        }
        finished.lock()
        hasFinished = true
        finished.broadcast()
        finished.unlock()
    }

    /// Waits for commands and takes a batch; nil once stopping with nothing left.
    private func nextBatch() -> [any WriterCommand]? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty {
            if case .stopping = state { return nil }
            condition.wait()
        }
        if settings.linger > .zero, queue.count < settings.batchMax, case .running = state {
            let deadline = Date(timeIntervalSinceNow: settings.linger / .seconds(1))
            while queue.count < settings.batchMax, condition.wait(until: deadline) {}
        }
        let count = min(queue.count, settings.batchMax)
        var batch: [any WriterCommand] = []
        batch.reserveCapacity(count)
        for _ in 0..<count { batch.append(queue.removeFirst()) }
        metrics?.queueDepth.record(queue.count)
        return batch
    }

    /// One transaction for the batch, a savepoint per command; answers every command.
    private func commit(_ batch: [any WriterCommand]) {
        let started = NIODeadline.now()
        var refreshed: [BalanceReadModel.Key: Balance] = [:]
        var touched = Set<BalanceReadModel.Key>()
        var tally: LedgerTotals.Tally?
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    for command in batch where command.claim() {
                        if !command.apply(db) { catalog.empty() }
                        // A failure SQLite answers by rolling back the whole transaction (a
                        // full disk, an I/O error) takes the batch with it.
                        guard db.isInsideTransaction else {
                            throw LedgerStoreError(
                                .databaseUnavailable,
                                "the write transaction was rolled back by SQLite; nothing of "
                                    + "the batch was applied")
                        }
                    }
                    // Counted from what the batch wrote, as the commit will keep it. A
                    // failure to count (a bug) must not fail the batch: it counts nothing.
                    tally = try? totals?.tally(db)
                    (touched, refreshed) = try readModel.freshEntries(db)
                    return .commit
                }
            }
        } catch {
            catalog.empty()
            for command in batch { command.fail(error) }
            record(batch: batch.count, since: started)
            return
        }
        readModel.publish(touched: touched, refreshed: refreshed)
        let elapsed = record(batch: batch.count, since: started)
        if let tally { totals?.count(tally) }
        if let metrics {
            metrics.batchSize.record(batch.count)
            metrics.commitDuration.recordNanoseconds(elapsed.nanoseconds)
            metrics.commands.increment(by: batch.count)
        }
        for command in batch { command.finish() }
    }

    /// Adds a batch, committed or failed, to the statistics; returns the time it took.
    @discardableResult
    private func record(batch: Int, since started: NIODeadline) -> TimeAmount {
        let elapsed = NIODeadline.now() - started
        statistics.withLockedValue { statistics in
            statistics.batches += 1
            statistics.commands += batch
            statistics.largestBatch = max(statistics.largestBatch, batch)
            statistics.batchSizes[min(batch, WriterStatistics.sizeBucketsMax), default: 0] += 1
            statistics.commitNanoseconds += elapsed.nanoseconds
        }
        return elapsed
    }
}

/// How the writer batches commands.
public struct CommitSettings: Sendable, Equatable {
    /// Group commit, or one transaction per command.
    public enum Mode: String, Sendable, CaseIterable {
        /// Batches of up to `batchMax` commands, one commit each.
        case group
        /// One transaction and one fsync per command: the measured floor.
        case perRequest = "per-request"
    }

    /// The mode.
    public var mode: Mode
    /// The most commands in one batch (group mode; 1 in per-request mode).
    public var batchMaxInGroupMode: Int
    /// How long the writer waits for more commands when fewer than `batchMax` are queued; zero
    /// (the default) takes what is queued at once: commands that arrive while a batch commits
    /// form the next one.
    public var linger: Duration
    /// The most commands waiting; more are refused with `writeQueueFull`.
    public var queueMax: Int

    /// Group commit, 512 commands at most, no linger, 10 000 queued at most.
    public static let `default` = CommitSettings(
        mode: .group, batchMaxInGroupMode: 512, linger: .zero, queueMax: 10_000)

    /// The bounds the settings must stay within.
    public static let batchMaxRange = 1...10_000
    public static let queueMaxRange = 1...1_000_000
    public static let lingerMax = Duration.milliseconds(100)

    public init(mode: Mode, batchMaxInGroupMode: Int, linger: Duration, queueMax: Int) {
        self.mode = mode
        self.batchMaxInGroupMode = batchMaxInGroupMode
        self.linger = linger
        self.queueMax = queueMax
    }

    /// The batch limit in force.
    var batchMax: Int { mode == .perRequest ? 1 : batchMaxInGroupMode }


    /// Why these settings cannot be used, naming the setting; nil when they can.
    public func problem() -> String? {
        if !Self.batchMaxRange.contains(batchMaxInGroupMode) {
            return "the commit batch size \(batchMaxInGroupMode) is out of range "
                + "\(Self.batchMaxRange.lowerBound)...\(Self.batchMaxRange.upperBound)"
        }
        if !Self.queueMaxRange.contains(queueMax) {
            return "the write queue size \(queueMax) is out of range "
                + "\(Self.queueMaxRange.lowerBound)...\(Self.queueMaxRange.upperBound)"
        }
        if linger < .zero || linger > Self.lingerMax {
            return "the commit linger \(linger) is out of range 0...\(Self.lingerMax)"
        }
        return nil
    }
}

/// What the writer did so far.
public struct WriterStatistics: Sendable, Equatable {
    /// Batch sizes above this share the last bucket.
    public static let sizeBucketsMax = 1024
    /// Transactions committed or failed.
    public var batches = 0
    /// Commands taken into batches.
    public var commands = 0
    /// The largest batch.
    public var largestBatch = 0
    /// How many batches had each size.
    public var batchSizes: [Int: Int] = [:]
    /// Time spent applying and committing batches.
    public var commitNanoseconds: Int64 = 0

    /// The batch size that `fraction` (0...1) of the batches did not exceed; 0 before any.
    public func batchSize(atFraction fraction: Double) -> Int {
        guard batches > 0 else { return 0 }
        let wanted = max(1, Int((Double(batches) * fraction).rounded(.up)))
        var seen = 0
        for (size, count) in batchSizes.sorted(by: { $0.key < $1.key }) {
            seen += count
            if seen >= wanted { return size }
        }
        return largestBatch
    }
}

/// A queued command, type-erased for the queue.
private protocol WriterCommand: AnyObject, Sendable {
    /// Marks the command as taken into a batch; false if its caller left first (then it has
    /// been answered with `CancellationError`).
    func claim() -> Bool
    /// Runs the command in its own savepoint, rolled back when the command throws or refuses.
    ///
    /// - Returns: false when the savepoint was rolled back.
    func apply(_ db: Database) -> Bool
    /// Answers the command with its result (the batch committed).
    func finish()
    /// Answers the command with `error` (the batch did not commit).
    func fail(_ error: any Error)
}

private final class QueuedCommand<T: Sendable>: WriterCommand, @unchecked Sendable {
    private enum Phase {
        case queued
        case cancelled
        case claimed
    }

    private let work: @Sendable (Database) throws -> T
    /// Whether a result is committed with the batch; `false` rolls the command's savepoint
    /// back (a refusal) and still answers the result.
    private let keeps: @Sendable (T) -> Bool
    /// Set once, before the command is queued; taken by whoever answers.
    private var continuation: CheckedContinuation<T, any Error>?
    private var phase = Phase.queued
    private let lock = NIOLock()
    /// Written by the writer's thread only, read by it in `finish()`.
    private var result: Result<T, any Error>?

    init(_ work: @escaping @Sendable (Database) throws -> T, keeps: @escaping @Sendable (T) -> Bool) {
        self.work = work
        self.keeps = keeps
    }

    /// Keeps the caller's continuation; false if the caller was cancelled already.
    func install(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
        lock.withLock {
            guard case .queued = phase else { return false }
            self.continuation = continuation
            return true
        }
    }

    /// Answers a command the queue refused.
    func refuse(_ error: LedgerStoreError) {
        take()?.resume(throwing: error)
    }

    func cancel() {
        let continuation = lock.withLock { () -> CheckedContinuation<T, any Error>? in
            guard case .queued = phase else { return nil }
            phase = .cancelled
            defer { self.continuation = nil }
            return self.continuation
        }
        continuation?.resume(throwing: CancellationError())
    }

    func claim() -> Bool {
        lock.withLock {
            guard case .queued = phase else { return false }
            phase = .claimed
            return true
        }
    }

    func apply(_ db: Database) -> Bool {
        var kept = false
        do {
            var value: T?
            try db.inSavepoint {
                let answer = try work(db)
                value = answer
                kept = keeps(answer)
                return kept ? .commit : .rollback
            }
            result = .success(value!)
        } catch {
            result = .failure(error)
            kept = false
        }
        return kept
    }

    func finish() {
        guard let result else { return }  // skipped: its caller left and was answered
        take()?.resume(with: result)
    }

    func fail(_ error: any Error) {
        if case .failure(let own)? = result {
            take()?.resume(throwing: own)
        } else {
            take()?.resume(throwing: error)
        }
    }

    private func take() -> CheckedContinuation<T, any Error>? {
        lock.withLock {
            defer { continuation = nil }
            return continuation
        }
    }
}
