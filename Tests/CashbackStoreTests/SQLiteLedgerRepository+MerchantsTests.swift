import CashbackCore
import Testing
@testable import CashbackStore

@Suite("SQLiteLedgerRepository.upsertMerchant")
struct SQLiteLedgerRepositoryMerchantsTests {
    @Test("the first upsert creates, the next ones update")
    func createdThenUpdated() async throws {
        try await withTemporaryDirectory { directory in
            let repository = try SQLiteLedgerRepository(path: ledgerPath(in: directory))
            let created = try await repository.upsertMerchant(try merchant(rateBasisPoints: 500))
            #expect(created.created)
            #expect(created.merchant == Merchant(try merchant(rateBasisPoints: 500)))

            let changed = try merchant(name: "Shop One GmbH", currency: "USD", rateBasisPoints: 750)
            let updated = try await repository.upsertMerchant(changed)
            #expect(!updated.created)
            #expect(updated.merchant.name == "Shop One GmbH")
            #expect(updated.merchant.currency.rawValue == "USD")
            #expect(updated.merchant.shopperRateBasisPoints == 750)

            // The update took: orders in the new currency are accepted at the new rate.
            let accrued = try await repository.accrue(try accrual(currency: "USD")).success
            #expect(accrued?.record.shopperRateBasisPoints == 750)
            #expect(accrued?.record.cashbackMinorUnits == 750)
            #expect(
                try await repository.accrue(try accrual("order-2")).failure?.code
                    == .currencyMismatch
            )
        }
    }

    @Test("a rate change after an accrual leaves the locked cashback alone")
    func rateChangeKeepsLockedRate() async throws {
        try await withLedger { repository in
            let first = try #require(try await repository.accrue(try accrual("order-1")).success)
            #expect(first.record.shopperRateBasisPoints == 500)
            #expect(first.record.cashbackMinorUnits == 500)

            _ = try await repository.upsertMerchant(try merchant(rateBasisPoints: 1_000))
            let second = try #require(try await repository.accrue(try accrual("order-2")).success)
            #expect(second.record.shopperRateBasisPoints == 1_000)
            #expect(second.record.cashbackMinorUnits == 1_000)

            let replay = try #require(try await repository.accrue(try accrual("order-1")).success)
            #expect(replay.replayed)
            #expect(replay.record == first.record)
            let confirmed = try #require(try await repository.confirm(try order("order-1")).success)
            #expect(confirmed.cashbackMinorUnits == 500)

            let balance = try await repository.euroBalance()
            #expect(balance.pendingMinorUnits == 1_000)
            #expect(balance.availableMinorUnits == 500)
            #expect(try await repository.verifyBooks().isBalanced)
        }
    }
}
