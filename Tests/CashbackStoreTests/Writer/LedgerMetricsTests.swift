import CashbackCore
import CashbackRepository
import MetricsTestKit
import Testing
@testable import CashbackStore

@Suite("LedgerMetrics: the writer's batches and the ledger's totals, as committed")
struct LedgerMetricsTests {
    @Test("the totals count committed events: replays and refusals count nothing")
    func totalsCountCommittedEventsOnly() async throws {
        try await withTemporaryDirectory { directory in
            let metrics = TestMetrics()
            let ledger = try SQLiteLedgerRepository(
                path: ledgerPath(in: directory), metrics: LedgerMetrics(factory: metrics))
            _ = try await ledger.upsertMerchant(try merchant()).get()
            _ = try await ledger.accrue(try accrual("o-1")).get()  // 10 000 × 5 % = 500
            _ = try await ledger.accrue(try accrual("o-1")).get()  // a replay
            _ = try await ledger.accrue(try accrual("o-2", eligibleMinorUnits: 2_000)).get()  // 100
            _ = try await ledger.confirm(try order("o-1")).get()
            _ = try await ledger.confirm(try order("o-1")).get()  // confirmed already
            _ = try await ledger.cancel(try order("o-2")).get()
            // Refused: cancel after confirm, and an order never accrued.
            await #expect(throws: LedgerRejection.self) { try await ledger.cancel(order("o-1")).get() }
            await #expect(throws: LedgerRejection.self) { try await ledger.confirm(order("none")).get() }
            try ledger.close()

            func accruals(_ event: String) throws -> Int64 {
                try metrics.expectCounter(LedgerMetrics.Name.accruals, [("event", event)])
                    .totalValue
            }
            func cashback(_ event: String) throws -> Int64 {
                try metrics.expectCounter(
                    LedgerMetrics.Name.cashback, [("event", event), ("currency", "EUR")]
                ).totalValue
            }
            #expect(try accruals("booked") == 2)
            #expect(try cashback("booked") == 600)
            #expect(try accruals("confirmed") == 1)
            #expect(try cashback("confirmed") == 500)
            #expect(try accruals("cancelled") == 1)
            #expect(try cashback("cancelled") == 100)
            #expect(try accruals("adjusted") == 0)

            // Every command went through the writer, the refused ones too, one per transaction
            // (each awaited before the next was sent).
            let commands = 1 + 3 + 3 + 2
            #expect(try metrics.expectCounter(LedgerMetrics.Name.commands).totalValue == Int64(commands))
            let batches = try metrics.expectRecorder(LedgerMetrics.Name.batchSize).values
            #expect(batches == Array(repeating: 1, count: commands))
            #expect(try metrics.expectTimer(LedgerMetrics.Name.commitDuration).values.count == commands)
            #expect(try metrics.expectGauge(LedgerMetrics.Name.queueDepth).lastValue == 0)
        }
    }

    @Test("totals start at this process: what the file held before counts nothing")
    func totalsStartWithTheProcess() async throws {
        try await withTemporaryDirectory { directory in
            let before = try SQLiteLedgerRepository(path: ledgerPath(in: directory))
            _ = try await before.upsertMerchant(try merchant()).get()
            _ = try await before.accrue(try accrual("o-1")).get()
            try before.close()

            let metrics = TestMetrics()
            let ledger = try SQLiteLedgerRepository(
                path: ledgerPath(in: directory), metrics: LedgerMetrics(factory: metrics))
            _ = try await ledger.confirm(try order("o-1")).get()
            try ledger.close()
            let booked = try metrics.expectCounter(LedgerMetrics.Name.accruals, [("event", "booked")])
            let confirmed = try metrics.expectCounter(
                LedgerMetrics.Name.accruals, [("event", "confirmed")])
            #expect(booked.totalValue == 0)
            #expect(confirmed.totalValue == 1)
        }
    }
}
