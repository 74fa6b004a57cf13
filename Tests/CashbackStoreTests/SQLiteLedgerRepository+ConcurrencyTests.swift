import CashbackCore
import CashbackRepository
import Testing
@testable import CashbackStore

@Suite("SQLiteLedgerRepository under concurrent callers")
struct SQLiteLedgerRepositoryConcurrencyTests {
    @Test("100 concurrent accruals each get their own accrual, and the balance is their sum")
    func concurrentAccruals() async throws {
        try await withLedger { repository in
            let commands = try (0..<100).map { index in
                try accrual("order-\(index)", eligibleMinorUnits: Int64(10_000 + index * 37))
            }
            let records = try await withThrowingTaskGroup(of: AccrualRecord?.self) { group in
                for command in commands {
                    group.addTask { try await repository.accrue(command).success?.record }
                }
                return try await group.reduce(into: [AccrualRecord?]()) { $0.append($1) }
            }.compactMap { $0 }

            #expect(records.count == 100)
            #expect(Set(records.map(\.accrualID)).count == 100)
            #expect(Set(records.map(\.orderID)).count == 100)
            let expected = commands.reduce(Int64(0)) { sum, command in
                sum
                    + Cashback.amountMinorUnits(
                        eligibleMinorUnits: command.eligibleMinorUnits,
                        rateBasisPoints: 500
                    )
            }
            #expect(records.reduce(Int64(0)) { $0 + $1.cashbackMinorUnits } == expected)
            #expect(try await repository.euroBalance().pendingMinorUnits == expected)
            let books = try await repository.verifyBooks()
            #expect(books.isBalanced)
            #expect(books.journalEntryCount == 100)
        }
    }

    @Test("the same order sent 20 times at once is accrued exactly once")
    func concurrentReplays() async throws {
        try await withLedger { repository in
            let command = try accrual()
            let outcomes = try await withThrowingTaskGroup(of: AccrueOutcome?.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await repository.accrue(command).success }
                }
                return try await group.reduce(into: [AccrueOutcome?]()) { $0.append($1) }
            }.compactMap { $0 }

            #expect(outcomes.count == 20)
            #expect(outcomes.filter { !$0.replayed }.count == 1)
            #expect(Set(outcomes.map(\.record)).count == 1)
            #expect(try await repository.euroBalance().pendingMinorUnits == 500)
            #expect(try await repository.verifyBooks().journalEntryCount == 1)
        }
    }

    @Test("concurrent confirms and cancels of one order: exactly one wins")
    func concurrentTransitions() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual())
            let ref = try order()
            let results = try await withThrowingTaskGroup(
                of: Result<AccrualRecord, LedgerRejection>.self
            ) { group in
                for index in 0..<20 {
                    group.addTask {
                        index.isMultiple(of: 2)
                            ? try await repository.confirm(ref) : try await repository.cancel(ref)
                    }
                }
                return try await group.reduce(into: [Result<AccrualRecord, LedgerRejection>]()) {
                    $0.append($1)
                }
            }
            let finalStates = Set(results.compactMap { $0.success?.state })
            #expect(finalStates.count == 1)
            #expect(results.filter { $0.failure != nil }.count == 10)
            let books = try await repository.verifyBooks()
            #expect(books.isBalanced)
            #expect(books.journalEntryCount == 2)
        }
    }
}
