import CashbackCore
import CashbackRepository
import GRDB
import Testing
@testable import CashbackStore

@Suite("Migrations: a v1 file under the rules of v2")
struct MigrationsTests {
    /// A v1 ledger written as v1 wrote it: merchant shop-1 first at 250 bps (two accruals,
    /// one confirmed), then changed to 500 bps (one accrual, cancelled).
    static func writeV1File(at path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try Migrations.migrator.migrate(queue, upTo: "v1")
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO merchants VALUES ('shop-1', 'Shop One', 'EUR', 500, 10, 20);
                    INSERT INTO accruals (id, merchant_id, order_id, member_id, currency,
                        eligible_minor, rate_bps, cashback_minor, state, ordered_at_ms,
                        created_ms, updated_ms) VALUES
                        (1, 'shop-1', 'o-1', 'm1', 'EUR', 12999, 250, 324, 2, 1700000000000, 11, 12),
                        (2, 'shop-1', 'o-2', 'm1', 'EUR', 1000, 250, 25, 1, 1700000000000, 13, 13),
                        (3, 'shop-1', 'o-3', 'm1', 'EUR', 1000, 500, 50, 3, 1700000000000, 21, 22);
                    INSERT INTO journal_entries (id, accrual_id, kind, created_ms) VALUES
                        (1, 1, 'accrue', 11), (2, 2, 'accrue', 13), (3, 1, 'confirm', 12),
                        (4, 3, 'accrue', 21), (5, 3, 'cancel', 22);
                    INSERT INTO journal_lines (entry_id, account, owner_id, currency, amount_minor)
                    VALUES
                        (1, 'member-pending', 'm1', 'EUR', 324),
                        (1, 'merchant-receivable', 'shop-1', 'EUR', -324),
                        (2, 'member-pending', 'm1', 'EUR', 25),
                        (2, 'merchant-receivable', 'shop-1', 'EUR', -25),
                        (3, 'member-pending', 'm1', 'EUR', -324),
                        (3, 'member-available', 'm1', 'EUR', 324),
                        (4, 'member-pending', 'm1', 'EUR', 50),
                        (4, 'merchant-receivable', 'shop-1', 'EUR', -50),
                        (5, 'member-pending', 'm1', 'EUR', -50),
                        (5, 'merchant-receivable', 'shop-1', 'EUR', 50);
                    INSERT INTO balances VALUES ('m1', 'EUR', 25, 324, 324, 22);
                    """)
        }
    }

    @Test("v1 rates become rule-set versions, accruals keep their cashback, the books stay clean")
    func migratesV1() async throws {
        try await withTemporaryDirectory { directory in
            let path = ledgerPath(in: directory)
            try Self.writeV1File(at: path)
            let repository = try SQLiteLedgerRepository(path: path)

            #expect(try await repository.verifyBooks().discrepancies == [])
            let v1 = try await repository.ruleSet(merchantID: "shop-1", version: 1).get()
            let v2 = try await repository.ruleSet(merchantID: "shop-1", version: 2).get()
            #expect(v1.rules == .flat(rateBasisPoints: 250))
            #expect(v2.rules == .flat(rateBasisPoints: 500))
            #expect(try await repository.ruleSet(merchantID: "shop-1", version: 0).get().version == 2)

            let first = try await repository.accrual(try order("o-1")).get()
            #expect(first.record.ruleVersion == 1)
            #expect(first.record.cashbackMinorUnits == 324)
            #expect(first.record.state == .confirmed)
            #expect(first.history.map(\.kind) == [.accrue, .confirm])
            // v1 booked the receivable for the cashback: a migrated accrual's commission.
            #expect(first.record.commissionMinorUnits == 324)
            #expect(first.record.explanation.marginMinorUnits == 0)
            let third = try await repository.accrual(try order("o-3")).get()
            #expect(third.record.ruleVersion == 2)
            #expect(third.history.map(\.cashbackDeltaMinorUnits) == [50, -50])

            // The migrated ledger goes on: a v1 replay, a confirmation, a refund, a new order.
            let replay = try await repository.accrue(
                try accrual("o-1", memberID: "m1", eligibleMinorUnits: 12_999)).get()
            #expect(replay.replayed && replay.firstCashbackMinorUnits == 324)
            _ = try await repository.confirm(try order("o-2")).get()
            _ = try await repository.adjust(try adjustment("o-1", key: "r", newAmountMinorUnits: 999))
                .get()
            _ = try await repository.upsertMerchant(try merchant()).get()
            let next = try await repository.accrue(try accrual("o-4", memberID: "m1")).get()
            #expect(next.record.ruleVersion == 2)
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }

    @Test("v4 keeps every journal line and accrual event with its id, without AUTOINCREMENT")
    func migratesV3ToV4() async throws {
        try await withTemporaryDirectory { directory in
            let path = ledgerPath(in: directory)
            try Self.writeV1File(at: path)
            let rowsSQL = [
                "SELECT * FROM journal_lines ORDER BY id", "SELECT * FROM accrual_events ORDER BY id",
            ]
            let queue = try DatabaseQueue(path: path)
            try Migrations.migrator.migrate(queue, upTo: "v3")
            let before = try queue.read { db in try rowsSQL.map { try Row.fetchAll(db, sql: $0) } }
            try queue.close()
            let repository = try SQLiteLedgerRepository(path: path)
            let (after, sequences, indexes, schema) = try await repository.pool.read { db in
                (
                    try rowsSQL.map { try Row.fetchAll(db, sql: $0) },
                    try String.fetchAll(db, sql: "SELECT name FROM sqlite_sequence"),
                    try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'"),
                    try String.fetchAll(
                        db,
                        sql: """
                            SELECT sql FROM sqlite_master
                            WHERE name IN ('journal_lines', 'accrual_events')
                            """)
                )
            }
            #expect(after == before)
            #expect(!before[0].isEmpty && !before[1].isEmpty)
            #expect(!sequences.contains("journal_lines") && !sequences.contains("accrual_events"))
            #expect(!indexes.contains("accruals_by_member"))
            #expect(indexes.contains("journal_lines_by_account"))
            #expect(schema.allSatisfy { !$0.contains("AUTOINCREMENT") })

            // New rows continue after the copied ids, and the tables still refuse deletes.
            let lastLine: Int64 = before[0].last!["id"]
            _ = try await repository.accrue(try accrual("o-9", memberID: "m1")).get()
            let newLines = try await repository.pool.read { db in
                try Int64.fetchAll(db, sql: "SELECT id FROM journal_lines WHERE id > ?", arguments: [lastLine])
            }
            #expect(newLines.count == 3)
            await #expect(throws: DatabaseError.self) {
                try await repository.executeBypassingLedgerForTesting(sql: "DELETE FROM journal_lines")
            }
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }
}
