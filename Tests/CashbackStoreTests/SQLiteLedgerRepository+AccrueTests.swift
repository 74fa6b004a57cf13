import CashbackCore
import CashbackRepository
import Testing
@testable import CashbackStore

@Suite("SQLiteLedgerRepository.accrue")
struct SQLiteLedgerRepositoryAccrueTests {
    @Test("books pending cashback at the merchant's rate")
    func happyPath() async throws {
        try await withLedger { repository in
            let outcome = try #require(
                try await repository.accrue(try accrual(eligibleMinorUnits: 12_999)).success
            )
            #expect(!outcome.replayed)
            let record = outcome.record
            #expect(record.accrualID == 1)
            #expect(record.merchantID == "shop-1")
            #expect(record.orderID == "order-1")
            #expect(record.memberID == "member-1")
            #expect(record.currency == (try euro()))
            #expect(record.eligibleMinorUnits == 12_999)
            #expect(record.ruleVersion == 1)
            #expect(record.explanation.lines.map(\.rateBasisPoints) == [500])
            #expect(record.cashbackMinorUnits == 649)  // 12_999 * 5 % = 649.95, rounded down
            #expect(record.state == .pending)
            #expect(record.orderedAtMilliseconds == 1_700_000_000_000)

            let balance = try await repository.euroBalance()
            #expect(
                balance
                    == Balance(
                        memberID: "member-1",
                        currency: try euro(),
                        pendingMinorUnits: 649,
                        availableMinorUnits: 0,
                        lifetimeMinorUnits: 0
                    )
            )
            let books = try await repository.verifyBooks()
            #expect(books.isBalanced)
            #expect(books.journalEntryCount == 1)
            #expect(books.journalLineCount == 3)  // member pending, receivable, margin
            #expect(books.accrualCount == 1)
        }
    }

    @Test("a replay returns the first record and writes nothing")
    func replay() async throws {
        try await withLedger { repository in
            let first = try #require(try await repository.accrue(try accrual()).success)
            let balance = try await repository.euroBalance()
            let books = try await repository.verifyBooks()

            let again = try #require(try await repository.accrue(try accrual()).success)
            #expect(again.replayed)
            #expect(again.record == first.record)
            #expect(try await repository.euroBalance() == balance)
            #expect(try await repository.verifyBooks() == books)
        }
    }

    /// A second payload for order-1 (first accrued for member-1, 10_000, 1_700_000_000_000)
    /// and the fields the conflict must name.
    static let conflicts:
        [(memberID: String, eligibleMinorUnits: Int64, orderedAtMs: Int64, fields: String)] = [
            ("member-1", 10_001, 1_700_000_000_000, "amountMinor"),
            ("member-2", 10_000, 1_700_000_000_000, "memberId"),
            ("member-1", 10_000, 1_700_000_000_001, "orderedAtMs"),
            ("member-2", 1, 1_700_000_000_000, "memberId, amountMinor"),
        ]

    @Test(
        "the same order with another payload conflicts and writes nothing",
        arguments: Self.conflicts
    )
    func conflict(
        memberID: String,
        eligibleMinorUnits: Int64,
        orderedAtMs: Int64,
        fields: String
    ) async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual())
            let balances = [
                try await repository.euroBalance("member-1"),
                try await repository.euroBalance("member-2"),
            ]
            let books = try await repository.verifyBooks()

            let command = try accrual(
                memberID: memberID,
                eligibleMinorUnits: eligibleMinorUnits,
                orderedAtMilliseconds: orderedAtMs
            )
            let rejection = try #require(try await repository.accrue(command).failure)
            #expect(
                rejection
                    == LedgerRejection(
                        .orderConflict,
                        "order 'order-1' of merchant 'shop-1' was already accrued "
                            + "with a different \(fields)"
                    )
            )
            #expect(try await repository.euroBalance("member-1") == balances[0])
            #expect(try await repository.euroBalance("member-2") == balances[1])
            #expect(try await repository.verifyBooks() == books)
        }
    }

    @Test("a canonically equivalent but differently encoded member id never reaches the ledger")
    func canonicallyEquivalentIDsAreRefused() async throws {
        try await withLedger { repository in
            let precomposed = "memb\u{E9}"
            let decomposed = "membe\u{301}"
            #expect(precomposed == decomposed)  // Swift's String equality is not the ledger's.
            _ = try await repository.accrue(try accrual(memberID: precomposed)).get()
            // The id policy refuses the NFD spelling before it can be compared with anything.
            #expect(throws: LedgerRejection.self) { try accrual(memberID: decomposed) }
            #expect(try await repository.verifyBooks().journalEntryCount == 1)
        }
    }

    @Test("an unknown merchant is refused, before any other check")
    func unknownMerchant() async throws {
        try await withLedger { repository in
            let rejection = try #require(
                try await repository.accrue(try accrual(merchantID: "shop-9", currency: "USD"))
                    .failure
            )
            #expect(
                rejection
                    == LedgerRejection(.merchantNotFound, "merchant 'shop-9' is not registered")
            )
            #expect(try await repository.verifyBooks().journalEntryCount == 0)
        }
    }

    @Test("a new order in a currency other than the merchant's is refused")
    func currencyMismatch() async throws {
        try await withLedger { repository in
            let rejection = try #require(
                try await repository.accrue(try accrual(currency: "USD")).failure
            )
            #expect(
                rejection
                    == LedgerRejection(
                        .currencyMismatch,
                        "currency USD does not match merchant 'shop-1' currency EUR"
                    )
            )
            // An order already booked is judged against its booking: another currency is a
            // conflict with the first payload.
            _ = try await repository.accrue(try accrual())
            let again = try await repository.accrue(
                try accrual(eligibleMinorUnits: 1, currency: "USD")
            )
            #expect(again.failure?.code == .orderConflict)
            #expect(try await repository.verifyBooks().journalEntryCount == 1)
        }
    }

    @Test("a replay answers the first result even after the merchant changed its currency")
    func replayAfterCurrencyChange() async throws {
        try await withLedger { repository in
            let first = try #require(try await repository.accrue(try accrual()).success)
            _ = try await repository.upsertMerchant(try merchant(currency: "USD"))
            let replay = try #require(try await repository.accrue(try accrual()).success)
            #expect(replay.replayed)
            #expect(replay.record == first.record)
            #expect(try await repository.verifyBooks().journalEntryCount == 1)
            #expect(
                try await repository.accrue(try accrual("order-2")).failure?.code
                    == .currencyMismatch)
        }
    }

    @Test("a zero rate books a zero cashback, still journaled and balanced")
    func zeroCashback() async throws {
        try await withLedger { repository in
            _ = try await repository.publishRuleSet(try publication(.flat(rateBasisPoints: 0)))
                .get()
            let record = try #require(try await repository.accrue(try accrual()).success?.record)
            #expect(record.cashbackMinorUnits == 0)
            #expect(try await repository.euroBalance().pendingMinorUnits == 0)
            let books = try await repository.verifyBooks()
            #expect(books.isBalanced)
            #expect(books.journalEntryCount == 1)
        }
    }

    @Test("a balance that would overflow throws and rolls the whole accrual back")
    func overflowRollsBack() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual("order-1"))
            try await repository.executeBypassingLedgerForTesting(
                sql: "UPDATE balances SET pending_minor = 9223372036854775800"
            )
            let books = try await repository.verifyBooks()
            await #expect(throws: LedgerStoreError.self) {
                _ = try await repository.accrue(try accrual("order-2"))
            }
            #expect(try await repository.verifyBooks() == books)
            #expect(
                try await repository.euroBalance().pendingMinorUnits == 9_223_372_036_854_775_800
            )
            #expect(
                try await repository.confirm(try order("order-2")).failure?.code == .accrualNotFound
            )
        }
    }
}
