import CashbackCore
import CashbackRepository
import Foundation
import GRDB
import Testing
@testable import CashbackStore

@Suite("Migration v5: accruals written with JSON pricing before it")
struct MigrationV5Tests {
    /// Order `o-lines` of member `m2` at shop-1, two lines and a segment, priced by version 2
    /// (flat 500 bps), as v4 stored an accrual: the pricing as sorted-key JSON in `pricing`.
    static let linesOrder = try! OrderPricingInput(
        amountMinorUnits: 0,
        lines: [
            OrderLine(sku: "book-1", category: "books", amountMinorUnits: 2_999),
            OrderLine(sku: "lamp-1", category: "home", amountMinorUnits: 1_999),
        ],
        segments: ["vip"], orderedAtMilliseconds: 1_700_000_000_000, ruleVersion: 2)

    /// Writes `o-lines` into a v4 file the way v4 did: the accrual row with the INSERT of
    /// v4's `AccrualsTable.insertPending` (JSON in `pricing`), then its journal entry, balance
    /// and event through the tables, which v5 did not change.
    static func accrueTheV4Way(_ db: Database) throws -> StoredPricing {
        let explanation = Pricing.price(
            Self.linesOrder, rules: .flat(rateBasisPoints: 500), version: 2, commissionBasisPoints: 0)
        let pricing = StoredPricing(order: Self.linesOrder, explanation: explanation)
        try db.execute(
            sql: """
                INSERT INTO accruals (merchant_id, order_id, member_id, currency, eligible_minor,
                                      rate_bps, cashback_minor, state, ordered_at_ms,
                                      created_ms, updated_ms, eligible_now_minor, rule_version,
                                      commission_bps, commission_minor, first_cashback_minor,
                                      hold_ends_at_ms, pricing)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                "shop-1", "o-lines", "m2", "EUR", 4_998, 500, explanation.cashbackMinorUnits, 1,
                1_700_000_000_000, 30, 30, 4_998, 2, 0, 0, explanation.cashbackMinorUnits,
                1_700_000_000_000, try StoredJSON.encode(pricing),
            ])
        let record = AccrualRecord(
            accrualID: db.lastInsertedRowID, merchantID: "shop-1", orderID: "o-lines",
            memberID: "m2", currency: try euro(), reportedMinorUnits: 4_998, order: Self.linesOrder,
            explanation: explanation, state: .pending,
            holdEndsAtMilliseconds: 1_700_000_000_000)
        try LedgerPosting.accrual(of: record).book(db, for: record, nowMilliseconds: 30)
        try AccrualEventsTable.append(
            db, accrualID: record.accrualID,
            AccrualChange(
                kind: .accrue, atMilliseconds: 30, state: .pending,
                eligibleMinorUnits: 4_998, cashbackMinorUnits: explanation.cashbackMinorUnits,
                cashbackDeltaMinorUnits: explanation.cashbackMinorUnits, debtMinorUnits: 0,
                idempotencyKey: "", reason: ""))
        return pricing
    }

    /// The two pricing columns of `orderID`'s row.
    static func columns(_ repository: SQLiteLedgerRepository, _ orderID: String) async throws
        -> (json: String, compact: Data?)
    {
        try await repository.pool.read { db in
            let row = try #require(
                try Row.fetchOne(
                    db, sql: "SELECT pricing, pricing_compact FROM accruals WHERE order_id = ?",
                    arguments: [orderID]))
            return (row["pricing"], row["pricing_compact"])
        }
    }

    @Test("a v4 file opens: old rows are read from their JSON, verify, replay and adjust")
    func v4FileOpens() async throws {
        try await withTemporaryDirectory { directory in
            let path = ledgerPath(in: directory)
            try MigrationsTests.writeV1File(at: path)
            let queue = try DatabaseQueue(path: path)
            try Migrations.migrator.migrate(queue, upTo: "v4")
            let stored = try await queue.write { db in try Self.accrueTheV4Way(db) }
            try queue.close()

            let repository = try SQLiteLedgerRepository(path: path)
            #expect(try await repository.verifyBooks().discrepancies == [])
            // Nothing was converted: the old rows still hold their JSON, and read the same.
            let before = try await Self.columns(repository, "o-lines")
            #expect(before.compact == nil)
            #expect(before.json == (try StoredJSON.encode(stored)))
            let read = try await repository.accrual(try order("o-lines")).get().record
            #expect(read.order == stored.order)
            #expect(read.explanation == stored.explanation)
            #expect(try await repository.accrual(try order("o-1")).get().record.cashbackMinorUnits == 324)

            // A replay is judged against the JSON row, and a change of lines is a conflict.
            let replay = try await repository.accrue(
                try accrual(
                    "o-lines", memberID: "m2", lines: Self.linesOrder.lines, segments: ["vip"]))
            #expect(replay.success?.replayed == true)
            let conflict = try await repository.accrue(
                try accrual("o-lines", memberID: "m2", lines: [Self.linesOrder.lines[0]], segments: ["vip"]))
            #expect(conflict.failure?.code == .orderConflict)

            // An adjustment rewrites the row in the compact form, and it reads back the same.
            let adjusted = try await repository.adjust(
                try adjustment(
                    "o-lines", key: "refund-lamp",
                    refundedLines: [RefundedLine(sku: "lamp-1", amountMinorUnits: 1_999)])
            ).get()
            let after = try await Self.columns(repository, "o-lines")
            #expect(after.json == "{}")
            #expect(after.compact != nil)
            let reread = try await repository.accrual(try order("o-lines")).get().record
            #expect(reread.cashbackMinorUnits == adjusted.cashbackMinorUnits)
            #expect(reread.eligibleMinorUnits == 2_999)
            #expect(reread.order.lines.map(\.refundedMinorUnits) == [0, 1_999])
            #expect(reread.explanation.lines.map(\.amountMinorUnits) == [2_999, 0])
            #expect(reread.order.segments == ["vip"])

            // New accruals are compact from the start; the books stay whole.
            _ = try await repository.accrue(try accrual("o-new", memberID: "m2")).get()
            #expect(try await Self.columns(repository, "o-new").compact != nil)
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }
}
