import CashbackCore
import CashbackRepository
import Foundation
import Testing
@testable import CashbackStore

@Suite("SQLiteLedgerRepository rule sets and quotes")
struct SQLiteLedgerRepositoryRuleSetsTests {
    @Test("versions count up; a key replays its version; unknowns are refused")
    func publishAndRead() async throws {
        try await withLedger { repository in
            let two = try await repository.publishRuleSet(
                try publication(.flat(rateBasisPoints: 700), key: "p-1")).get()
            #expect(two.version == 2 && !two.replayed)
            let replay = try await repository.publishRuleSet(
                try publication(.flat(rateBasisPoints: 700), key: "p-1")).get()
            #expect(replay.version == 2 && replay.replayed)
            #expect(
                try await repository.publishRuleSet(
                    try publication(.flat(rateBasisPoints: 800), key: "p-1")
                ).failure?.code == .idempotencyConflict)
            let three = try await repository.publishRuleSet(
                try publication(.flat(rateBasisPoints: 800), key: "p-2")).get()
            #expect(three.version == 3)
            #expect(
                try await repository.publishRuleSet(
                    try publication(.flat(rateBasisPoints: 800), merchantID: "shop-9", key: "p-3")
                ).failure?.code == .merchantNotFound)

            #expect(try await repository.ruleSet(merchantID: "shop-1", version: 2).get().rules
                == .flat(rateBasisPoints: 700))
            #expect(try await repository.ruleSet(merchantID: "shop-1", version: 0).get().version == 3)
            #expect(try await repository.ruleSet(merchantID: "shop-1", version: 4).failure?.code
                == .ruleSetNotFound)
            #expect(try await repository.ruleSet(merchantID: "shop-9", version: 0).failure?.code
                == .merchantNotFound)
            #expect(
                try await repository.accrue(try accrual(ruleVersion: 9)).failure?.code
                    == .ruleSetNotFound)
        }
    }

    @Test("a quote writes nothing and answers what the accrual then books")
    func quoteWritesNothing() async throws {
        try await withLedger { repository in
            let quote = try QuoteCommand(
                merchantID: "shop-1", memberID: "member-1", eligibleMinorUnits: 12_999,
                currency: "EUR", orderedAtMilliseconds: 1_700_000_000_000)
            let before = try await repository.verifyBooks()
            let explanation = try await repository.quote(quote).get()
            #expect(try await repository.verifyBooks() == before)
            let accrued = try await repository.accrue(try accrual(eligibleMinorUnits: 12_999)).get()
            #expect(accrued.record.explanation == explanation)
            #expect(explanation.cashbackMinorUnits == 649)

            let wrongCurrency = try QuoteCommand(
                merchantID: "shop-1", memberID: "member-1", eligibleMinorUnits: 1, currency: "USD",
                orderedAtMilliseconds: 1)
            #expect(try await repository.quote(wrongCurrency).failure?.code == .currencyMismatch)
        }
    }

    @Test("Verify notices a commission that the merchant-side lines do not book")
    func verifyNoticesMerchantSide() async throws {
        try await withLedger { repository in
            _ = try await repository.upsertMerchant(try merchant(commissionBasisPoints: 800)).get()
            _ = try await repository.accrue(try accrual()).get()
            let pricing = try await repository.storedPricingHex(try order()) {
                $0.explanation.commissionMinorUnits = 700
            }
            try await repository.executeBypassingLedgerForTesting(
                sql: "UPDATE accruals SET commission_minor = 700, pricing_compact = x'\(pricing)'")
            let sides = try await repository.verifyBooks().discrepancies.compactMap {
                if case .accrualJournalMismatch(_, let side, _, _) = $0 { return side }
                return nil
            }
            #expect(sides == ["merchant-receivable", "platform-margin"])
        }
    }

    @Test("Verify notices cashback above the rules and accrual lines that do not add up")
    func verifyNoticesAccrualBreaches() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual()).get()
            let pricing = try await repository.storedPricingHex(try order()) {
                $0.explanation.cashbackMinorUnits = 600
            }
            try await repository.executeBypassingLedgerForTesting(
                sql: "UPDATE accruals SET cashback_minor = 600, pricing_compact = x'\(pricing)'")
            let kinds = try await repository.verifyBooks().discrepancies.map(\.kind)
            #expect(kinds.contains("cashbackAboveRules"))
            #expect(kinds.contains("accrualJournalMismatch"))
            #expect(kinds.contains("balanceMismatch"))  // pending vs the accruals
        }
    }
}

extension SQLiteLedgerRepository {
    /// The compact pricing of the accrual of `ref` after `change`, in hexadecimal for an SQL
    /// blob literal: for tests that tamper with the file behind the ledger's back.
    func storedPricingHex(
        _ ref: OrderReference, _ change: (inout StoredPricing) -> Void
    ) async throws -> String {
        let record = try await self.accrual(ref).get().record
        var pricing = StoredPricing(order: record.order, explanation: record.explanation)
        change(&pricing)
        return pricing.compactBytes().map { String(format: "%02x", $0) }.joined()
    }
}
