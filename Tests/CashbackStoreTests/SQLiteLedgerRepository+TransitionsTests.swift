import CashbackCore
import CashbackRepository
import Testing
@testable import CashbackStore

@Suite("SQLiteLedgerRepository.confirm and cancel")
struct SQLiteLedgerRepositoryTransitionsTests {
    @Test("confirm moves cashback from pending to available and lifetime")
    func confirm() async throws {
        try await withLedger { repository in
            let accrued = try #require(try await repository.accrue(try accrual()).success?.record)
            let confirmed = try #require(try await repository.confirm(try order()).success)
            var expected = accrued
            expected.state = .confirmed
            #expect(confirmed == expected)

            let balance = try await repository.euroBalance()
            #expect(balance.pendingMinorUnits == 0)
            #expect(balance.availableMinorUnits == 500)
            #expect(balance.lifetimeMinorUnits == 500)
            let books = try await repository.verifyBooks()
            #expect(books.isBalanced)
            #expect(books.journalEntryCount == 2)
        }
    }

    @Test("a second confirm returns the same record and writes nothing")
    func confirmTwice() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual())
            let first = try await repository.confirm(try order())
            let balance = try await repository.euroBalance()
            let books = try await repository.verifyBooks()

            let second = try await repository.confirm(try order())
            #expect(second == first)
            #expect(try await repository.euroBalance() == balance)
            #expect(try await repository.verifyBooks() == books)
        }
    }

    @Test("cancel reverses the pending cashback; a second cancel writes nothing")
    func cancel() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual("order-1"))
            _ = try await repository.accrue(try accrual("order-2", eligibleMinorUnits: 20_000))
            let cancelled = try #require(try await repository.cancel(try order("order-1")).success)
            #expect(cancelled.state == .cancelled)
            #expect(cancelled.cashbackMinorUnits == 500)

            let balance = try await repository.euroBalance()
            #expect(balance.pendingMinorUnits == 1_000)
            #expect(balance.availableMinorUnits == 0)
            #expect(balance.lifetimeMinorUnits == 0)
            let books = try await repository.verifyBooks()
            #expect(books.isBalanced)
            #expect(books.journalEntryCount == 3)

            #expect(try await repository.cancel(try order("order-1")).success == cancelled)
            #expect(try await repository.euroBalance() == balance)
            #expect(try await repository.verifyBooks() == books)
        }
    }

    @Test("confirm after cancel and cancel after confirm are refused and write nothing")
    func crossedEvents() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual("order-1"))
            _ = try await repository.accrue(try accrual("order-2"))
            _ = try await repository.cancel(try order("order-1"))
            _ = try await repository.confirm(try order("order-2"))
            let balance = try await repository.euroBalance()
            let books = try await repository.verifyBooks()

            #expect(
                try await repository.confirm(try order("order-1")).failure
                    == LedgerRejection(
                        .confirmAfterCancel,
                        "order 'order-1' of merchant 'shop-1': "
                            + "the accrual was cancelled; it cannot be confirmed"
                    )
            )
            #expect(
                try await repository.cancel(try order("order-2")).failure
                    == LedgerRejection(
                        .cancelAfterConfirm,
                        "order 'order-2' of merchant 'shop-1': "
                            + "the accrual was confirmed; it cannot be cancelled: refund it with "
                            + "Accruals/Adjust {fullRefund: true}"
                    )
            )
            #expect(try await repository.euroBalance() == balance)
            #expect(try await repository.verifyBooks() == books)
        }
    }

    @Test("an unknown order, or an order of an unknown merchant, is not found")
    func unknownOrder() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual("order-1"))
            for ref in [try order("order-9"), try order("order-1", merchantID: "shop-9")] {
                let expected = LedgerRejection(.accrualNotFound, "no accrual for \(ref)")
                #expect(try await repository.confirm(ref).failure == expected)
                #expect(try await repository.cancel(ref).failure == expected)
            }
            #expect(try await repository.verifyBooks().journalEntryCount == 1)
        }
    }
}
