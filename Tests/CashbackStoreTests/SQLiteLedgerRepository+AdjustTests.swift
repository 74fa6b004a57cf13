import CashbackCore
import CashbackRepository
import Testing
@testable import CashbackStore

@Suite("SQLiteLedgerRepository.adjust and accrual")
struct SQLiteLedgerRepositoryAdjustTests {
    @Test("a refund on a pending accrual lowers pending cashback and commission once per key")
    func pendingRefund() async throws {
        try await withLedger { repository in
            _ = try await repository.upsertMerchant(try merchant(commissionBasisPoints: 800)).get()
            _ = try await repository.accrue(try accrual(eligibleMinorUnits: 10_000)).get()
            let command = try adjustment(key: "refund-1", newAmountMinorUnits: 6_000)
            let first = try await repository.adjust(command).get()
            #expect(first == AdjustOutcome(
                state: .pending, eligibleMinorUnits: 6_000, cashbackMinorUnits: 300,
                clawedBackMinorUnits: 200, debtMinorUnits: 0))
            // A replay changes nothing and answers the first response.
            let replay = try await repository.adjust(command).get()
            #expect(replay.replayed)
            #expect(replay.cashbackMinorUnits == 300 && replay.clawedBackMinorUnits == 200)
            // The same key with another payload is a conflict.
            let conflict = try await repository.adjust(
                try adjustment(key: "refund-1", newAmountMinorUnits: 5_000))
            #expect(conflict.failure?.code == .idempotencyConflict)
            // The same new amount under a new key takes nothing more, and writes nothing.
            let books = try await repository.verifyBooks()
            let again = try await repository.adjust(
                try adjustment(key: "refund-2", newAmountMinorUnits: 6_000)).get()
            #expect(again.clawedBackMinorUnits == 0 && again.cashbackMinorUnits == 300)
            #expect(try await repository.verifyBooks() == books)

            #expect(try await repository.euroBalance().pendingMinorUnits == 300)
            let details = try await repository.accrual(try order()).get()
            #expect(details.record.commissionMinorUnits == 480)
            #expect(details.record.reportedMinorUnits == 10_000)
            #expect(details.history.map(\.kind) == [.accrue, .adjust])
            #expect(details.history[1].idempotencyKey == "refund-1")
            #expect(details.history[1].cashbackDeltaMinorUnits == -200)
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }

    /// Spends `amount` of member-1's available balance.
    static func spend(_ repository: SQLiteLedgerRepository, _ amount: Int64) async throws {
        _ = try await repository.redeem(
            try RedeemCommand(
                memberID: "member-1", currency: "EUR", amountMinorUnits: amount,
                idempotencyKey: "spend-\(amount)")
        ).get()
        #expect(try await repository.verifyBooks().discrepancies == [])
    }

    @Test("after confirmation a clawback takes available first, the rest becomes debt that the next confirmation pays off first")
    func clawbackIntoDebtThenPayoff() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual("o-1", eligibleMinorUnits: 10_000)).get()
            _ = try await repository.confirm(try order("o-1")).get()  // available 500
            try await Self.spend(repository, 400)  // available 100
            let refund = try await repository.adjust(
                try adjustment("o-1", key: "r-1", newAmountMinorUnits: 2_000)).get()
            #expect(refund.clawedBackMinorUnits == 400)  // 500 → 100
            #expect(refund.debtMinorUnits == 300)  // 100 from available, 300 owed
            var balance = try await repository.euroBalance()
            #expect(balance.availableMinorUnits == 0)
            #expect(balance.debtMinorUnits == 300)
            #expect(balance.lifetimeMinorUnits == 100)
            #expect(try await repository.verifyBooks().discrepancies == [])

            // The next cashback pays the debt off first: 250 of it, then 100 of the next.
            _ = try await repository.accrue(try accrual("o-2", eligibleMinorUnits: 5_000)).get()
            _ = try await repository.confirm(try order("o-2")).get()
            balance = try await repository.euroBalance()
            #expect(balance.debtMinorUnits == 50)
            #expect(balance.availableMinorUnits == 0)
            _ = try await repository.accrue(try accrual("o-3", eligibleMinorUnits: 2_000)).get()
            _ = try await repository.confirm(try order("o-3")).get()
            balance = try await repository.euroBalance()
            #expect(balance.debtMinorUnits == 0)
            #expect(balance.availableMinorUnits == 50)
            #expect(balance.lifetimeMinorUnits == 100 + 250 + 100)
            let history = try await repository.accrual(try order("o-1")).get().history
            #expect(history.last?.debtMinorUnits == 300)
            // The confirmation that paid debt off says how much.
            let payoff = try await repository.accrual(try order("o-2")).get().history
            #expect(payoff.map(\.kind) == [.accrue, .confirm])
            #expect(payoff.last?.debtMinorUnits == 250)
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }

    @Test("refused adjustments write nothing", arguments: [
        ("unknown", "accrualNotFound"), ("cancelled", "adjustmentRefused"),
        ("raise", "adjustmentRefused"), ("lines", "invalidArgument"),
    ])
    func refused(_ situation: String, _ code: String) async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual("o-1")).get()
            if situation == "cancelled" { _ = try await repository.cancel(try order("o-1")).get() }
            let before = try await repository.verifyBooks()
            let command: AdjustCommand =
                switch situation {
                case "unknown": try adjustment("o-9", key: "k", fullRefund: true)
                case "raise": try adjustment("o-1", key: "k", newAmountMinorUnits: 10_001)
                case "lines":
                    try adjustment(
                        "o-1", key: "k", refundedLines: [RefundedLine(sku: "a", amountMinorUnits: 1)])
                default: try adjustment("o-1", key: "k", fullRefund: true)
                }
            let rejection = try await repository.adjust(command).failure
            #expect(rejection.map { "\($0.code)" } == code)
            #expect(try await repository.verifyBooks() == before)
            // The key was not used up by the refusal.
            #expect(
                try await repository.adjust(try adjustment("o-1", key: "k", newAmountMinorUnits: 10_000))
                    .failure?.code != .idempotencyConflict)
        }
    }

    @Test("one accrual takes at most 1000 adjustments that change something")
    func adjustmentsAreBounded() async throws {
        try await withLedger { repository in
            _ = try await repository.accrue(try accrual(eligibleMinorUnits: 10_000)).get()
            for index in 0..<LedgerLimits.adjustmentsPerAccrualMax {
                _ = try await repository.adjust(
                    try adjustment(key: "r-\(index)", newAmountMinorUnits: Int64(9_999 - index)))
                    .get()
            }
            let refused = try await repository.adjust(
                try adjustment(key: "r-last", fullRefund: true)).failure
            #expect(refused?.code == .adjustmentRefused)
            #expect(refused?.message.contains("1000 adjustments") == true)
            // An adjustment that changes nothing is answered and not counted.
            #expect(
                try await repository.adjust(try adjustment(key: "r-same", newAmountMinorUnits: 9_000))
                    .success?.clawedBackMinorUnits == 0)
            let details = try await repository.accrual(try order()).get()
            #expect(details.history.count == 1 + LedgerLimits.adjustmentsPerAccrualMax)
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }

    @Test("orders with lines: refunds by sku, per-line explanation, history")
    func linesAndExplanation() async throws {
        try await withLedger { repository in
            let rules = try RuleSet(
                validating: 500,
                categories: [
                    CategoryRule(category: "books", rateBasisPoints: 1_000, excluded: false),
                    CategoryRule(category: "gift-cards", rateBasisPoints: 0, excluded: true),
                ],
                tiers: [], minimumOrderMinorUnits: 0, capPerOrderMinorUnits: 0,
                fixedPerOrderMinorUnits: 0, campaigns: [])
            _ = try await repository.publishRuleSet(try publication(rules)).get()
            let lines = [
                OrderLine(sku: "book-1", category: "books", amountMinorUnits: 2_999),
                OrderLine(sku: "card-1", category: "gift-cards", amountMinorUnits: 5_000),
                OrderLine(sku: "lamp-1", category: "home", amountMinorUnits: 1_999),
            ]
            let quote = try await repository.quote(
                try QuoteCommand(
                    merchantID: "shop-1", memberID: "member-1", eligibleMinorUnits: 0,
                    currency: "EUR", orderedAtMilliseconds: 1_700_000_000_000, lines: lines)
            ).get()
            let accrued = try await repository.accrue(try accrual(lines: lines)).get()
            // Quote is the very function Accrue uses.
            #expect(accrued.record.explanation == quote)
            #expect(quote.lines.map(\.rule) == ["category:books", "excluded:gift-cards", "base"])
            #expect(quote.cashbackMinorUnits == 299 + 0 + 99)
            #expect(accrued.record.ruleVersion == 2)

            let refund = try await repository.adjust(
                try adjustment(
                    key: "r-1", refundedLines: [RefundedLine(sku: "book-1", amountMinorUnits: 1_000)])
            ).get()
            #expect(refund.cashbackMinorUnits == 199 + 99)
            let details = try await repository.accrual(try order()).get()
            #expect(details.record.explanation.lines[0].refundedMinorUnits == 1_000)
            #expect(details.record.explanation.lines[0].amountMinorUnits == 1_999)
            #expect(details.record.eligibleMinorUnits == 1_999 + 5_000 + 1_999)
            // A replay of the accrual still answers the first cashback.
            let replay = try await repository.accrue(try accrual(lines: lines)).get()
            #expect(replay.replayed && replay.firstCashbackMinorUnits == 398)
            // Over-refunding a line is refused.
            #expect(
                try await repository.adjust(
                    try adjustment(
                        key: "r-2",
                        refundedLines: [RefundedLine(sku: "book-1", amountMinorUnits: 2_000)])
                ).failure?.code == .adjustmentRefused)
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }
}
