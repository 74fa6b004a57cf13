import CashbackCore
import Testing
@testable import CashbackStore

@Suite("LedgerPosting")
struct LedgerPostingTests {
    private static func pendingRecord(cashback: Int64) throws -> AccrualRecord {
        AccrualRecord(
            accrualID: 1,
            merchantID: "shop-1",
            orderID: "order-1",
            memberID: "member-1",
            currency: try euro(),
            eligibleMinorUnits: cashback * 20,
            shopperRateBasisPoints: 500,
            cashbackMinorUnits: cashback,
            state: .pending,
            orderedAtMilliseconds: 1
        )
    }

    @Test("every posting balances, and its balance change matches its member lines")
    func postingsBalance() throws {
        let record = try Self.pendingRecord(cashback: 750)
        let postings = [
            LedgerPosting.accrual(of: record),
            LedgerPosting.transition(of: record, to: .confirmed),
            LedgerPosting.transition(of: record, to: .cancelled),
        ]
        for posting in postings {
            #expect(posting.isBalanced, "\(posting.kind)")
            let pending = posting.lines.filter { $0.account == .memberPending }.map(
                \.amountMinorUnits
            )
            let available = posting.lines.filter { $0.account == .memberAvailable }.map(
                \.amountMinorUnits
            )
            #expect(pending.reduce(0, +) == posting.delta.pendingMinorUnits)
            #expect(available.reduce(0, +) == posting.delta.availableMinorUnits)
        }
        #expect(postings.map(\.kind) == [.accrue, .confirm, .cancel])
        #expect(postings[1].delta.lifetimeMinorUnits == 750)
        #expect(postings[0].delta.lifetimeMinorUnits == 0)
        #expect(postings[2].delta.lifetimeMinorUnits == 0)
    }

    @Test("lines that do not sum to zero, or a single line, are not balanced")
    func unbalanced() {
        let one = JournalLine(account: .memberPending, ownerID: "m", amountMinorUnits: 0)
        let plus = JournalLine(account: .memberPending, ownerID: "m", amountMinorUnits: 1)
        let max = JournalLine(account: .memberPending, ownerID: "m", amountMinorUnits: .max)
        #expect(!LedgerPosting(kind: .accrue, lines: [one], delta: BalanceDelta()).isBalanced)
        #expect(
            !LedgerPosting(kind: .accrue, lines: [one, plus], delta: BalanceDelta()).isBalanced
        )
        #expect(
            !LedgerPosting(kind: .accrue, lines: [max, plus], delta: BalanceDelta()).isBalanced
        )
    }
}
