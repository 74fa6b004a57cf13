import CashbackCore
import CashbackRepository
import CashbackStore
import Foundation
import Testing

@testable import cashback_storebench

@Suite("cashback-storebench preload")
struct PreloadTests {
    /// 50 members at 3 merchants: members 0, 4, … 48 spend (13 of them).
    static let members = 50
    static let spenders = 13

    @Test("50 members are booked with clean books, the expected balances and totals")
    func preloadBooksTheExpectedHistory() async throws {
        try await withLedgerFile { path in
            let plan = try PreloadPlan(members: Self.members, merchants: 3, currency: "EUR")
            let repository = try SQLiteLedgerRepository(path: path)
            let summary = try await Preloader(plan: plan, repository: repository, concurrency: 16)
                .run()

            #expect(summary.rejections == 0, "\(summary.quotedRejections)")
            #expect(summary.replayed == 0)
            // 3 merchants; per member accrue, confirm, accrue; 13 redemptions.
            #expect(summary.commands == 3 + Self.members * 3 + Self.spenders)

            let books = try await repository.verifyBooks()
            #expect(books.isBalanced, "\(books.discrepancies)")
            #expect(books.accrualCount == Self.members * 2)
            // Each accrual's accrue entry, each confirmation, each redemption.
            #expect(books.journalEntryCount == Self.members * 3 + Self.spenders)
            #expect(books.memberAccountCount == Self.members)

            var pendingTotal: Int64 = 0
            var availableTotal: Int64 = 0
            for index in 0..<Self.members {
                let expected = expectedBalance(plan.history(ofMember: index))
                let balance = try await repository.balance(
                    memberID: "member-\(index)", currency: plan.currency)
                #expect(balance.pendingMinorUnits == expected.pending, "member-\(index)")
                #expect(balance.lifetimeMinorUnits == expected.lifetime, "member-\(index)")
                #expect(balance.spentMinorUnits == expected.spent, "member-\(index)")
                #expect(
                    balance.availableMinorUnits == expected.lifetime - expected.spent,
                    "member-\(index)")
                pendingTotal += balance.pendingMinorUnits
                availableTotal += balance.availableMinorUnits
            }
            // Worked by hand: member-0 at shop-0 (200 bps) orders 10.00 (cashback 20, half
            // spent) and 5.00 (10 pending); member-1 at shop-1 (250 bps) orders 89.19
            // (222.975, rounded down) and 62.31 (155.775 → 155 pending).
            let first = try await repository.balance(memberID: "member-0", currency: plan.currency)
            #expect(first.pendingMinorUnits == 10)
            #expect(first.availableMinorUnits == 10)
            #expect(first.spentMinorUnits == 10)
            let second = try await repository.balance(memberID: "member-1", currency: plan.currency)
            #expect(second.lifetimeMinorUnits == 222)
            #expect(second.pendingMinorUnits == 155)
            #expect(pendingTotal > 0)
            #expect(availableTotal > 0)
            try repository.close()
        }
    }

    @Test("running the same preload again replays every command and writes nothing")
    func rerunIsAReplay() async throws {
        try await withLedgerFile { path in
            let plan = try PreloadPlan(members: Self.members, merchants: 3, currency: "EUR")
            let repository = try SQLiteLedgerRepository(path: path)
            let first = try await Preloader(plan: plan, repository: repository).run()
            let before = try await repository.verifyBooks()
            let again = try await Preloader(plan: plan, repository: repository).run()
            let after = try await repository.verifyBooks()

            #expect(first.rejections == 0)
            #expect(again.rejections == 0, "\(again.quotedRejections)")
            #expect(again.commands == first.commands)
            // Every command but the confirmations (which carry no replay flag) says so.
            #expect(again.replayed == again.commands - Self.members)
            #expect(after.isBalanced)
            #expect(after.journalEntryCount == before.journalEntryCount)
            #expect(after.accrualCount == before.accrualCount)
            try repository.close()
        }
    }

    @Test("a preload over another currency is refused, naming the merchant and the conflict")
    func anotherCurrencyIsRefused() async throws {
        try await withLedgerFile { path in
            let repository = try SQLiteLedgerRepository(path: path)
            let euros = try PreloadPlan(members: 2, merchants: 1, currency: "EUR")
            #expect(try await Preloader(plan: euros, repository: repository).run().rejections == 0)
            let dollars = try PreloadPlan(members: 2, merchants: 1, currency: "USD")
            let refused = try await Preloader(plan: dollars, repository: repository).run()
            #expect(refused.rejections == 1)
            #expect(refused.quotedRejections.count == 1)
            #expect(try await repository.verifyBooks().accrualCount == 4)
            try repository.close()
        }
    }

    @Test("plans out of range are refused naming the option")
    func invalidPlans() {
        #expect(throws: PreloadPlan.Invalid.self) {
            try PreloadPlan(members: 0, merchants: 1, currency: "EUR")
        }
        #expect(throws: PreloadPlan.Invalid.self) {
            try PreloadPlan(members: 5, merchants: 6, currency: "EUR")
        }
        #expect(throws: PreloadPlan.Invalid.self) {
            try PreloadPlan(members: 5, merchants: 1, currency: "euro")
        }
    }
}

/// A member's balance as the plan intends it, priced at the merchant's flat rate.
private func expectedBalance(
    _ member: MemberHistory
) -> (pending: Int64, lifetime: Int64, spent: Int64) {
    let rate = PreloadPlan.shopperRateBasisPoints(ofMerchant: member.merchantIndex)
    let confirmed = Cashback.amountMinorUnits(
        eligibleMinorUnits: member.confirmedAmountMinorUnits, rateBasisPoints: rate)
    let pending = Cashback.amountMinorUnits(
        eligibleMinorUnits: member.pendingAmountMinorUnits, rateBasisPoints: rate)
    return (pending, confirmed, member.spendsHalf ? confirmed / 2 : 0)
}

/// A ledger path in a fresh temporary directory, removed after `body`.
private func withLedgerFile(_ body: (String) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("storebench-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(at: directory) }
    try await body(directory.appendingPathComponent("ledger.sqlite").path)
}
