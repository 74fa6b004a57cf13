import ArgumentParser

/// How the ledger writes and what it keeps in memory: `cashbackd`'s store flags. The checks
/// are ``ResolvedSettings/commitSettings()``'s, once every source is read.
struct StoreOptions: ParsableArguments {
    @Option(
        help: """
            group: commands share transactions (one fsync per batch); per-request: one \
            transaction and one fsync per command, the slow floor, for comparison.\
            \(ServeSettings.commitMode.defaultNote)
            """)
    var commitMode: String?

    @Option(
        help: """
            The most commands committed in one transaction, in group mode.\
            \(ServeSettings.commitBatchMax.defaultNote)
            """)
    var commitBatchMax: Int?

    @Option(
        help: """
            Microseconds the writer waits for more commands when fewer than --commit-batch-max \
            are queued; 0 takes what is queued (commands arriving during a commit form the next \
            batch).\(ServeSettings.commitLingerMicroseconds.defaultNote)
            """)
    var commitLingerMicroseconds: Int?

    @Option(
        help: """
            Commands waiting for the writer; beyond it, calls get RESOURCE_EXHAUSTED.\
            \(ServeSettings.writeQueueMax.defaultNote)
            """)
    var writeQueueMax: Int?

    @Option(
        help: """
            Balances held in memory to answer GetBalance without a disk read; 0: none.\
            \(ServeSettings.balanceCacheEntries.defaultNote)
            """)
    var balanceCacheEntries: Int?

    /// Records the store flags given.
    func add(to flags: inout GivenFlags) {
        flags.add(ServeSettings.commitMode, commitMode)
        flags.add(ServeSettings.commitBatchMax, commitBatchMax)
        flags.add(ServeSettings.commitLingerMicroseconds, commitLingerMicroseconds)
        flags.add(ServeSettings.writeQueueMax, writeQueueMax)
        flags.add(ServeSettings.balanceCacheEntries, balanceCacheEntries)
    }
}
