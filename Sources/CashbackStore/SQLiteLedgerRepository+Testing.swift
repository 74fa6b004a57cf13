import GRDB

extension SQLiteLedgerRepository {
    /// Runs raw SQL in a write transaction, bypassing every rule of the ledger.
    ///
    /// Internal, for tests only (`@testable import`): they corrupt the books on purpose to
    /// prove that `verifyBooks()` and the schema notice, and hold a transaction open with
    /// `beforeCommit` to prove that reads do not wait for the writer. No production path
    /// calls it.
    func executeBypassingLedgerForTesting(
        sql: String,
        beforeCommit: @escaping @Sendable () -> Void = {}
    ) async throws {
        try await self.writer.perform { db in
            try db.execute(sql: sql)
            beforeCommit()
        }
    }
}
