import ArgumentParser
import CashbackStore

/// How the ledger writes and what it keeps in memory: `cashbackd`'s store flags.
struct StoreOptions: ParsableArguments {
    @Option(
        help: """
            group: commands share transactions (one fsync per batch); per-request: one \
            transaction and one fsync per command, the slow floor, for comparison.
            """)
    var commitMode: String = CommitSettings.default.mode.rawValue

    @Option(help: "The most commands committed in one transaction, in group mode.")
    var commitBatchMax: Int = CommitSettings.default.batchMaxInGroupMode

    @Option(
        help: """
            Microseconds the writer waits for more commands when fewer than --commit-batch-max \
            are queued; 0 takes what is queued (commands arriving during a commit form the next \
            batch).
            """)
    var commitLingerMicroseconds: Int = 0

    @Option(help: "Commands waiting for the writer; beyond it, calls get RESOURCE_EXHAUSTED.")
    var writeQueueMax: Int = CommitSettings.default.queueMax

    @Option(help: "Balances held in memory to answer GetBalance without a disk read; 0: none.")
    var balanceCacheEntries: Int = SQLiteLedgerRepository.balanceCacheEntriesDefault

    /// The writer's settings the flags describe.
    func commitSettings() throws -> CommitSettings {
        guard let mode = CommitSettings.Mode(rawValue: commitMode) else {
            throw ValidationError(
                "unknown --commit-mode '\(commitMode)'; use "
                    + CommitSettings.Mode.allCases.map(\.rawValue).joined(separator: " or "))
        }
        let batch = CommitSettings.batchMaxRange
        guard batch.contains(commitBatchMax) else {
            throw ValidationError("--commit-batch-max must be \(batch.lowerBound)...\(batch.upperBound)")
        }
        let lingerMax = Int(CommitSettings.lingerMax / .microseconds(1))
        guard (0...lingerMax).contains(commitLingerMicroseconds) else {
            throw ValidationError("--commit-linger-microseconds must be 0...\(lingerMax)")
        }
        let queue = CommitSettings.queueMaxRange
        guard queue.contains(writeQueueMax) else {
            throw ValidationError("--write-queue-max must be \(queue.lowerBound)...\(queue.upperBound)")
        }
        return CommitSettings(
            mode: mode, batchMaxInGroupMode: commitBatchMax,
            linger: .microseconds(commitLingerMicroseconds), queueMax: writeQueueMax)
    }

    func validate() throws {
        _ = try commitSettings()
        guard (0...100_000_000).contains(balanceCacheEntries) else {
            throw ValidationError("--balance-cache-entries must be 0...100000000")
        }
    }
}
