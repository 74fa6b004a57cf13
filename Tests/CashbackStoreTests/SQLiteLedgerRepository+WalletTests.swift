import CashbackCore
import CashbackRepository
import Foundation
import NIOConcurrencyHelpers
import GRDB
import Testing
@testable import CashbackStore

/// A clock tests move by hand.
final class TestClock: Sendable {
    private let now = NIOLockedValueBox<Int64>(1_800_000_000_000)

    var milliseconds: Int64 { self.now.withLockedValue { $0 } }

    func advance(days: Int64) {
        self.now.withLockedValue { $0 += days * LedgerLimits.millisecondsPerDay }
    }

    func advance(milliseconds: Int64) {
        self.now.withLockedValue { $0 += milliseconds }
    }

    var read: @Sendable () -> Int64 { { self.milliseconds } }
}

@Suite("SQLiteLedgerRepository wallet: lots, expiry, redeem, withdraw, payouts, freeze")
struct SQLiteLedgerRepositoryWalletTests {
    /// A ledger with merchants `shop-30` (cashback expires 30 days after confirmation) and
    /// `shop-0` (never), both flat 500 bps, on `clock`.
    static func withWallet<T>(
        _ clock: TestClock = TestClock(),
        _ body: (SQLiteLedgerRepository, TestClock) async throws -> T
    ) async throws -> T {
        try await withTemporaryDirectory { directory in
            let repository = try SQLiteLedgerRepository(
                path: ledgerPath(in: directory), clock: clock.read)
            for (id, days) in [("shop-30", Int64(30)), ("shop-0", Int64(0))] {
                _ = try await repository.upsertMerchant(
                    try MerchantUpsert(
                        merchantID: id, name: id, currency: "EUR", shopperRateBasisPoints: 500,
                        cashbackExpiryDays: days, idempotencyKey: "m-\(id)")
                ).get()
            }
            return try await body(repository, clock)
        }
    }

    /// Accrues and confirms `amount` × 5 % for member-1 at `shop`.
    static func earn(
        _ repository: SQLiteLedgerRepository, _ orderID: String, _ amount: Int64, shop: String
    ) async throws {
        _ = try await repository.accrue(
            try accrual(orderID, merchantID: shop, eligibleMinorUnits: amount)).get()
        _ = try await repository.confirm(try order(orderID, merchantID: shop)).get()
    }

    static func redeem(_ amount: Int64, key: String, member: String = "member-1") throws
        -> RedeemCommand
    {
        try RedeemCommand(
            memberID: member, currency: "EUR", amountMinorUnits: amount, idempotencyKey: key)
    }

    static let card = try! PayoutDestination(kind: .card, account: "4111111111111111")

    static func withdraw(_ amount: Int64, key: String, member: String = "member-1") throws
        -> WithdrawCommand
    {
        try WithdrawCommand(
            memberID: member, currency: "EUR", amountMinorUnits: amount, destination: Self.card,
            idempotencyKey: key)
    }

    @Test("confirmed cashback forms lots; spending takes the soonest expiry first; expiry takes the rest")
    func lotsAndExpiry() async throws {
        try await Self.withWallet { repository, clock in
            try await Self.earn(repository, "never", 20_000, shop: "shop-0")  // 1 000, never
            try await Self.earn(repository, "soon", 10_000, shop: "shop-30")  // 500, in 30 days
            var balance = try await repository.euroBalance()
            #expect(balance.availableMinorUnits == 1_500)
            #expect(balance.nextExpiryMinorUnits == 500)
            #expect(balance.nextExpiryAtMilliseconds == clock.milliseconds + 30 * 86_400_000)

            // 300 spent: from the lot that expires, not the one that never does.
            let spent = try await repository.redeem(try Self.redeem(300, key: "r-1")).get()
            #expect(spent.availableMinorUnits == 1_200)
            balance = try await repository.euroBalance()
            #expect(balance.nextExpiryMinorUnits == 200)

            // Nothing has expired yet at day 29; at day 30 the 200 left of the lot expire.
            clock.advance(days: 29)
            let early = try await repository.runExpiry(
                try ExpiryRunCommand(asOfMilliseconds: clock.milliseconds, idempotencyKey: "x-1")
            ).get()
            #expect(early.expiredLotCount == 0)
            clock.advance(days: 1)
            let run = try ExpiryRunCommand(asOfMilliseconds: clock.milliseconds, idempotencyKey: "x-2")
            let expired = try await repository.runExpiry(run).get()
            #expect(expired.expiredLotCount == 1 && expired.memberAccountCount == 1 && !expired.more)
            #expect(try await repository.runExpiry(run).get().replayed)
            balance = try await repository.euroBalance()
            #expect(balance.availableMinorUnits == 1_000)
            #expect(balance.expiredMinorUnits == 200)
            #expect(balance.spentMinorUnits == 300)
            #expect(balance.nextExpiryMinorUnits == 0 && balance.nextExpiryAtMilliseconds == 0)
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }

    @Test("redeem: beyond available is refused and changes nothing; refunds go back to their lots")
    func redeemAndRefund() async throws {
        try await Self.withWallet { repository, clock in
            try await Self.earn(repository, "o-1", 10_000, shop: "shop-30")  // 500
            let before = try await repository.verifyBooks()
            let refused = try await repository.redeem(try Self.redeem(501, key: "r-0"))
            #expect(refused.failure?.code == .insufficientFunds)
            #expect(try await repository.verifyBooks() == before)

            let redemption = try await repository.redeem(try Self.redeem(400, key: "r-1")).get()
            #expect(try await repository.redeem(try Self.redeem(400, key: "r-1")).get().replayed)
            #expect(
                try await repository.redeem(try Self.redeem(300, key: "r-1")).failure?.code
                    == .idempotencyConflict)
            let refund = try RedemptionRefundCommand(
                redemptionID: redemption.redemptionID, amountMinorUnits: 150, idempotencyKey: "f-1")
            let refunded = try await repository.refundRedemption(refund).get()
            #expect(refunded.refundedMinorUnits == 150 && refunded.availableMinorUnits == 250)
            #expect(
                try await repository.refundRedemption(
                    try RedemptionRefundCommand(
                        redemptionID: redemption.redemptionID, amountMinorUnits: 251,
                        idempotencyKey: "f-2")
                ).failure?.code == .refundExceedsRedemption)
            #expect(
                try await repository.refundRedemption(
                    try RedemptionRefundCommand(
                        redemptionID: 99, amountMinorUnits: 1, idempotencyKey: "f-3")
                ).failure?.code == .redemptionNotFound)
            // The refund went back into the lot with its original expiry.
            let balance = try await repository.euroBalance()
            #expect(balance.nextExpiryMinorUnits == 250)
            #expect(balance.nextExpiryAtMilliseconds == clock.milliseconds + 30 * 86_400_000)
            #expect(balance.spentMinorUnits == 400)  // gross: refunds do not lower it
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }

    @Test("withdraw reserves; complete pays out once; fail returns to the lots; masked everywhere")
    func withdrawalsAndPayouts() async throws {
        try await Self.withWallet { repository, _ in
            try await Self.earn(repository, "o-1", 100_000, shop: "shop-30")  // 5 000
            #expect(
                try await repository.withdraw(try Self.withdraw(999, key: "w-0")).failure?.code
                    == .belowWithdrawalMinimum)
            #expect(
                try await repository.withdraw(try Self.withdraw(5_001, key: "w-0")).failure?.code
                    == .insufficientFunds)
            let first = try await repository.withdraw(try Self.withdraw(2_000, key: "w-1")).get()
            #expect(first.state == .reserved)
            #expect(first.maskedAccount == "************1111")
            // The same key with another card (same last four digits) is a conflict, although the
            // key keeps only the masked account.
            let otherCard = try WithdrawCommand(
                memberID: "member-1", currency: "EUR", amountMinorUnits: 2_000,
                destination: try PayoutDestination(kind: .card, account: "5500000008001111"),
                idempotencyKey: "w-1")
            #expect(try await repository.withdraw(otherCard).failure?.code == .idempotencyConflict)
            #expect(try await repository.withdraw(try Self.withdraw(2_000, key: "w-1")).get().replayed)
            let leaks = try await repository.pool.read { db in
                try Int.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) FROM idempotency_keys WHERE request LIKE '%4111111111111111%'")
            }
            #expect(leaks == 0, "the full account leaked into an idempotency key")
            let second = try await repository.withdraw(try Self.withdraw(1_000, key: "w-2")).get()
            var balance = try await repository.euroBalance()
            #expect(balance.availableMinorUnits == 2_000 && balance.reservedMinorUnits == 3_000)

            let complete = try WithdrawalSettlementCommand(
                withdrawalID: first.withdrawalID, outcome: .completed, idempotencyKey: "c-1")
            #expect(try await repository.settleWithdrawal(complete).get().state == .completed)
            #expect(try await repository.settleWithdrawal(complete).get().replayed)
            // Failing a completed withdrawal is refused; completing it again answers it.
            #expect(
                try await repository.settleWithdrawal(
                    try WithdrawalSettlementCommand(
                        withdrawalID: first.withdrawalID, outcome: .failed(reason: "bounced"),
                        idempotencyKey: "f-1")
                ).failure?.code == .withdrawalSettled)
            #expect(
                try await repository.settleWithdrawal(
                    try WithdrawalSettlementCommand(
                        withdrawalID: first.withdrawalID, outcome: .completed,
                        idempotencyKey: "c-2")
                ).get().state == .completed)

            let failed = try await repository.settleWithdrawal(
                try WithdrawalSettlementCommand(
                    withdrawalID: second.withdrawalID, outcome: .failed(reason: "card closed"),
                    idempotencyKey: "f-2")
            ).get()
            #expect(failed.state == .failed && failed.failureReason == "card closed")
            #expect(
                try await repository.settleWithdrawal(
                    try WithdrawalSettlementCommand(
                        withdrawalID: 99, outcome: .completed, idempotencyKey: "c-3")
                ).failure?.code == .withdrawalNotFound)

            balance = try await repository.euroBalance()
            #expect(balance.availableMinorUnits == 3_000)
            #expect(balance.reservedMinorUnits == 0)
            #expect(balance.withdrawnMinorUnits == 2_000)
            #expect(balance.nextExpiryMinorUnits == 3_000)  // back into the lot, same expiry

            let reserved = try await repository.withdrawals(state: .reserved, afterID: 0, limit: 10)
            #expect(reserved.isEmpty)
            let all = try await repository.withdrawals(state: nil, afterID: 0, limit: 1)
            #expect(all.map(\.withdrawalID) == [first.withdrawalID])
            let next = try await repository.withdrawals(state: nil, afterID: all[0].withdrawalID, limit: 10)
            #expect(next.map(\.state) == [.failed])
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }

    @Test("a frozen member can neither redeem nor withdraw; unfreezing restores both")
    func frozen() async throws {
        try await Self.withWallet { repository, _ in
            try await Self.earn(repository, "o-1", 100_000, shop: "shop-0")
            let freeze = try MemberFreezeCommand(
                memberID: "member-1", frozen: true, actor: "ops-1", reason: "fraud review",
                idempotencyKey: "z-1")
            #expect(try await repository.setFrozen(freeze).get().frozen)
            #expect(
                try await repository.redeem(try Self.redeem(1, key: "r-1")).failure?.code
                    == .memberFrozen)
            #expect(
                try await repository.withdraw(try Self.withdraw(1_000, key: "w-1")).failure?.code
                    == .memberFrozen)
            // Orders still accrue and confirm for a frozen member.
            try await Self.earn(repository, "o-2", 1_000, shop: "shop-0")
            _ = try await repository.setFrozen(
                try MemberFreezeCommand(
                    memberID: "member-1", frozen: false, actor: "ops-2", reason: "cleared",
                    idempotencyKey: "z-2")
            ).get()
            #expect(try await repository.redeem(try Self.redeem(1, key: "r-1")).success != nil)
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }

    @Test("many tasks redeem and withdraw on one member at once: available never goes below zero")
    func concurrentSpending() async throws {
        try await Self.withWallet { repository, _ in
            try await Self.earn(repository, "o-1", 200_000, shop: "shop-30")  // 10 000
            let accepted = try await withThrowingTaskGroup(of: Int64.self) { group in
                for index in 0..<60 {
                    group.addTask {
                        if index.isMultiple(of: 2) {
                            let result = try await repository.redeem(
                                try Self.redeem(700, key: "r-\(index)"))
                            return result.success == nil ? 0 : 700
                        }
                        let result = try await repository.withdraw(
                            try Self.withdraw(1_100, key: "w-\(index)"))
                        return result.success == nil ? 0 : 1_100
                    }
                }
                return try await group.reduce(0, +)
            }
            let balance = try await repository.euroBalance()
            #expect(accepted <= 10_000)
            #expect(balance.availableMinorUnits == 10_000 - accepted)
            #expect(balance.availableMinorUnits >= 0)
            #expect(balance.availableMinorUnits < 700)  // nothing left that one more would fit
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }

    @Test("a clawback after spending draws on the lots too, and the rest becomes debt")
    func clawbackAfterSpending() async throws {
        try await Self.withWallet { repository, _ in
            try await Self.earn(repository, "o-1", 10_000, shop: "shop-30")  // 500
            _ = try await repository.redeem(try Self.redeem(450, key: "r-1")).get()
            let refund = try await repository.adjust(
                try AdjustCommand(
                    merchantID: "shop-30", orderID: "o-1", idempotencyKey: "a-1", fullRefund: true)
            ).get()
            #expect(refund.clawedBackMinorUnits == 500 && refund.debtMinorUnits == 450)
            let balance = try await repository.euroBalance()
            #expect(balance.availableMinorUnits == 0 && balance.debtMinorUnits == 450)
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }

    /// One refund of an order whose cashback (500, in a lot that expires after 30 days) was
    /// partly spent before the rest expired: what the member is charged for.
    struct RefundAfterExpiry: Sendable, CustomTestStringConvertible {
        /// Spent from the order's own lot before it expired.
        var spent: Int64
        /// Earned afterwards from an order at `shop-0` (never expires): available at the refund.
        var laterAvailable: Int64
        /// `fullRefund`, or `newAmountMinor` for the order of 10 000.
        var newAmount: Int64?
        // What the refund does: clawed back, of it from expired, then debt; the balance after.
        var clawedBack: Int64
        var fromExpired: Int64
        var debt: Int64
        var availableAfter: Int64
        var expiredAfter: Int64

        var testDescription: String {
            let refund = newAmount.map { "new amount \($0)" } ?? "full refund"
            return "spent \(spent), later \(laterAvailable), \(refund)"
        }
    }

    static let refundsAfterExpiry: [RefundAfterExpiry] = [
        // Nothing spent, all 500 expired: the refund takes back the expired 500, nothing else.
        .init(spent: 0, laterAvailable: 0, newAmount: nil, clawedBack: 500, fromExpired: 500,
              debt: 0, availableAfter: 0, expiredAfter: 0),
        // 200 spent, 300 expired: the 300 from expired, the 200 the member used as debt.
        .init(spent: 200, laterAvailable: 0, newAmount: nil, clawedBack: 500, fromExpired: 300,
              debt: 200, availableAfter: 0, expiredAfter: 0),
        // The same with 150 earned since: 150 from available, 50 as debt.
        .init(spent: 200, laterAvailable: 150, newAmount: nil, clawedBack: 500, fromExpired: 300,
              debt: 50, availableAfter: 0, expiredAfter: 0),
        // A partial refund of 100 of cashback: all of it from what expired.
        .init(spent: 200, laterAvailable: 150, newAmount: 8_000, clawedBack: 100, fromExpired: 100,
              debt: 0, availableAfter: 150, expiredAfter: 200),
        // All 500 spent, nothing expired: as before, available then debt.
        .init(spent: 500, laterAvailable: 150, newAmount: nil, clawedBack: 500, fromExpired: 0,
              debt: 350, availableAfter: 0, expiredAfter: 0),
    ]

    @Test(
        "a refund of cashback that expired takes back the expired part first, never as debt",
        arguments: refundsAfterExpiry)
    func refundAfterExpiry(_ row: RefundAfterExpiry) async throws {
        try await Self.withWallet { repository, clock in
            try await Self.earn(repository, "o-1", 10_000, shop: "shop-30")  // 500
            if row.spent > 0 {
                _ = try await repository.redeem(try Self.redeem(row.spent, key: "r-1")).get()
            }
            clock.advance(days: 30)
            _ = try await repository.runExpiry(
                try ExpiryRunCommand(asOfMilliseconds: clock.milliseconds, idempotencyKey: "x-1")
            ).get()
            if row.laterAvailable > 0 {
                try await Self.earn(repository, "o-2", row.laterAvailable * 20, shop: "shop-0")
            }
            let before = try await repository.euroBalance()
            #expect(before.expiredMinorUnits == 500 - row.spent)
            let refund = try await repository.adjust(
                try AdjustCommand(
                    merchantID: "shop-30", orderID: "o-1", idempotencyKey: "a-1",
                    newAmountMinorUnits: row.newAmount ?? 0, fullRefund: row.newAmount == nil)
            ).get()
            #expect(refund.clawedBackMinorUnits == row.clawedBack)
            #expect(refund.debtMinorUnits == row.debt)
            let after = try await repository.euroBalance()
            #expect(after.availableMinorUnits == row.availableAfter)
            #expect(after.expiredMinorUnits == row.expiredAfter)
            #expect(after.expiredMinorUnits == before.expiredMinorUnits - row.fromExpired)
            #expect(after.debtMinorUnits == row.debt)
            #expect(after.lifetimeMinorUnits == before.lifetimeMinorUnits - row.clawedBack)
            // The member's history shows where it came from: the refund's entry lowers expired
            // by what it took back of it, the expiry's raised it.
            let history = try await repository.history(
                memberID: "member-1", currency: try CurrencyCode(validating: "EUR"), before: nil,
                limit: 50)
            let refundEntry = try #require(history.first { $0.kind == "adjust" })
            #expect(refundEntry.expiredDeltaMinorUnits == -row.fromExpired)
            #expect(refundEntry.debtDeltaMinorUnits == row.debt)
            let expiry = history.first { $0.kind == "expire" }
            #expect(expiry?.expiredDeltaMinorUnits ?? 0 == 500 - row.spent)
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }

    @Test("a lot that expired before v6 recorded nothing of it: its refund makes debt, as before")
    func refundOfLotExpiredBeforeV6() async throws {
        try await Self.withWallet { repository, clock in
            try await Self.earn(repository, "o-1", 10_000, shop: "shop-30")  // 500
            clock.advance(days: 30)
            _ = try await repository.runExpiry(
                try ExpiryRunCommand(asOfMilliseconds: clock.milliseconds, idempotencyKey: "x-1")
            ).get()
            // What a v5 file migrated to v6 holds: the lot emptied, the expired amount unknown.
            try await repository.executeBypassingLedgerForTesting(
                sql: "UPDATE lots SET expired_minor = 0")
            let refund = try await repository.adjust(
                try AdjustCommand(
                    merchantID: "shop-30", orderID: "o-1", idempotencyKey: "a-1", fullRefund: true)
            ).get()
            #expect(refund.clawedBackMinorUnits == 500 && refund.debtMinorUnits == 500)
            let balance = try await repository.euroBalance()
            #expect(balance.expiredMinorUnits == 500 && balance.debtMinorUnits == 500)
            #expect(try await repository.verifyBooks().discrepancies == [])
        }
    }

    @Test("Verify reports a lot whose record of what expired does not fit it or the balance")
    func expiredLotsAreVerified() async throws {
        try await Self.withWallet { repository, clock in
            try await Self.earn(repository, "o-1", 10_000, shop: "shop-30")  // 500
            _ = try await repository.redeem(try Self.redeem(200, key: "r-1")).get()
            clock.advance(days: 30)
            _ = try await repository.runExpiry(
                try ExpiryRunCommand(asOfMilliseconds: clock.milliseconds, idempotencyKey: "x-1")
            ).get()
            #expect(try await repository.verifyBooks().discrepancies == [])
            // 300 expired; a lot record of 400 still fits the lot of 500 (nothing is left in
            // it), but not the member's expired balance of 300.
            try await repository.executeBypassingLedgerForTesting(
                sql: "UPDATE lots SET expired_minor = 400")
            let above = try await repository.verifyBooks().discrepancies
            #expect(above.map(\.kind) == ["expiredLotsAboveBalance"])
            // 600 no longer fits the lot of 500 either.
            try await repository.executeBypassingLedgerForTesting(
                sql: "UPDATE lots SET expired_minor = 600")
            let kinds = try await repository.verifyBooks().discrepancies.map(\.kind)
            #expect(kinds == ["lotOutOfRange", "expiredLotsAboveBalance"])
        }
    }

    @Test("a refund finds its accrual's lots through an index, not a scan of every lot")
    func accrualLotsUseTheirIndex() async throws {
        try await Self.withWallet { repository, _ in
            let plan = try await repository.pool.read { db in
                try Row.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN " + LotsTable.ofAccrualSQL, arguments: [1]
                ).map { $0["detail"] as String }.joined(separator: " ")
            }
            #expect(plan.contains("lots_by_accrual"), "\(plan)")
        }
    }
}
