import CashbackCore
import CashbackRepository
import Testing
@testable import CashbackStore

@Suite("SQLiteLedgerRepository.upsertMerchant")
struct SQLiteLedgerRepositoryMerchantsTests {
    @Test("the first upsert creates with rule set version 1, the next ones update")
    func createdThenUpdated() async throws {
        try await withTemporaryDirectory { directory in
            let repository = try SQLiteLedgerRepository(path: ledgerPath(in: directory))
            let created = try await repository.upsertMerchant(try merchant()).get()
            #expect(created.created)
            #expect(created.merchant == Merchant(try merchant()))
            let first = try await repository.ruleSet(merchantID: "shop-1", version: 0).get()
            #expect(first.version == 1)
            #expect(first.rules == .flat(rateBasisPoints: 500))

            let changed = try merchant(
                name: "Shop One GmbH", currency: "USD", commissionBasisPoints: 800, holdDays: 30)
            let updated = try await repository.upsertMerchant(changed).get()
            #expect(!updated.created)
            #expect(updated.merchant.name == "Shop One GmbH")
            #expect(updated.merchant.currency.rawValue == "USD")
            #expect(updated.merchant.commissionBasisPoints == 800)

            // The update took: orders in the new currency are accepted, with the commission
            // and the hold locked.
            let accrued = try await repository.accrue(try accrual(currency: "USD")).get()
            #expect(accrued.record.cashbackMinorUnits == 500)
            #expect(accrued.record.commissionMinorUnits == 800)
            #expect(
                accrued.record.holdEndsAtMilliseconds
                    == 1_700_000_000_000 + 30 * 86_400_000)
            #expect(
                try await repository.accrue(try accrual("order-2")).failure?.code
                    == .currencyMismatch)
            #expect(try await repository.verifyBooks().isBalanced)
        }
    }

    @Test("another shopper rate on an update is refused: rates change by rule sets")
    func seedRateIsFixed() async throws {
        try await withLedger { repository in
            let refused = try await repository.upsertMerchant(try merchant(rateBasisPoints: 900))
            #expect(refused.failure?.code == .seedRateChanged)
            #expect(refused.failure?.message.contains("PublishRuleSet") == true)
            #expect(try await repository.ruleSet(merchantID: "shop-1", version: 0).get().version == 1)
        }
    }

    @Test("an update with shopper rate 0 keeps the registered rate: it need not be looked up")
    func updateWithoutTheSeedRate() async throws {
        try await withLedger { repository in
            let paused = try await repository.upsertMerchant(
                try merchant(rateBasisPoints: 0, status: .paused, key: "pause")
            ).get()
            #expect(!paused.created)
            #expect(paused.merchant.shopperRateBasisPoints == 500)
            #expect(paused.merchant.status == .paused)
            // Still the registered rate, so that the same value goes on being accepted.
            let resumed = try await repository.upsertMerchant(
                try merchant(rateBasisPoints: 500, key: "resume")
            ).get()
            #expect(resumed.merchant.shopperRateBasisPoints == 500)
            #expect(try await repository.ruleSet(merchantID: "shop-1", version: 0).get().version == 1)
            // A new merchant is created with the rate it is sent, 0 included.
            let free = try await repository.upsertMerchant(
                try merchant("shop-0", rateBasisPoints: 0, key: "free")
            ).get()
            #expect(free.created && free.merchant.shopperRateBasisPoints == 0)
        }
    }

    @Test("a new rule set leaves the locked cashback of earlier accruals alone")
    func newRulesKeepLockedVersion() async throws {
        try await withLedger { repository in
            let first = try await repository.accrue(try accrual("order-1")).get()
            #expect(first.record.ruleVersion == 1)
            #expect(first.record.cashbackMinorUnits == 500)

            let v2 = try await repository.publishRuleSet(
                try publication(.flat(rateBasisPoints: 1_000))).get()
            #expect(v2.version == 2)
            let second = try await repository.accrue(try accrual("order-2")).get()
            #expect(second.record.ruleVersion == 2)
            #expect(second.record.cashbackMinorUnits == 1_000)

            let replay = try await repository.accrue(try accrual("order-1")).get()
            #expect(replay.replayed)
            #expect(replay.record == first.record)
            let confirmed = try await repository.confirm(try order("order-1")).get()
            #expect(confirmed.cashbackMinorUnits == 500)

            // A quoted version can still be locked explicitly.
            let locked = try await repository.accrue(try accrual("order-3", ruleVersion: 1)).get()
            #expect(locked.record.ruleVersion == 1)
            #expect(locked.record.cashbackMinorUnits == 500)

            let balance = try await repository.euroBalance()
            #expect(balance.pendingMinorUnits == 1_500)
            #expect(balance.availableMinorUnits == 500)
            #expect(try await repository.verifyBooks().isBalanced)
        }
    }

    @Test("a paused merchant takes no new orders but its orders move on")
    func paused() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual("order-1")).get()
            _ = try await repository.upsertMerchant(try merchant(status: .paused)).get()
            #expect(
                try await repository.accrue(try accrual("order-2")).failure?.code
                    == .merchantPaused)
            #expect(try await repository.accrue(try accrual("order-1")).success?.replayed == true)
            let quote = try QuoteCommand(
                merchantID: "shop-1", memberID: "member-1", eligibleMinorUnits: 100,
                currency: "EUR", orderedAtMilliseconds: 1)
            #expect(try await repository.quote(quote).failure?.code == .merchantPaused)
            #expect(try await repository.confirm(try order("order-1")).success?.state == .confirmed)
        }
    }

    @Test("upsert keys: a replay answers the first response, another payload is a conflict")
    func idempotencyKeys() async throws {
        try await withTemporaryDirectory { directory in
            let path = ledgerPath(in: directory)
            do {
                let repository = try SQLiteLedgerRepository(path: path)
                let first = try await repository.upsertMerchant(try merchant(key: "k-1")).get()
                #expect(first.created && !first.replayed)
                _ = try await repository.upsertMerchant(try merchant(name: "Renamed", key: "k-2"))
                    .get()
                let again = try await repository.upsertMerchant(try merchant(key: "k-1")).get()
                #expect(again.created && again.replayed)
                #expect(again.merchant.name == "Shop One")
                let conflict = try await repository.upsertMerchant(
                    try merchant(name: "Other", key: "k-1"))
                #expect(conflict.failure?.code == .idempotencyConflict)
                try repository.close()
            }
            // Replays survive a restart.
            let reopened = try SQLiteLedgerRepository(path: path)
            let replay = try await reopened.upsertMerchant(try merchant(key: "k-1")).get()
            #expect(replay.replayed && replay.created)
            let books = try await reopened.verifyBooks()
            #expect(books.isBalanced)
        }
    }
}
