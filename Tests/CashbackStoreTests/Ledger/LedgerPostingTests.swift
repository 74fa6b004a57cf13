import CashbackCore
import CashbackRepository
import Testing
@testable import CashbackStore

@Suite("LedgerPosting")
struct LedgerPostingTests {
    @Test("every posting balances, and its balance change matches its member lines")
    func postingsBalance() throws {
        let record = try pendingRecord(eligibleMinorUnits: 15_000, commissionBasisPoints: 800)
        var confirmed = record
        confirmed.state = .confirmed
        var refunded = confirmed
        refunded.explanation.cashbackMinorUnits = 250
        refunded.explanation.commissionMinorUnits = 400
        let postings = [
            LedgerPosting.accrual(of: record),
            LedgerPosting.confirmation(of: record, debtMinorUnits: 0),
            LedgerPosting.cancellation(of: record),
            LedgerPosting.confirmation(of: record, debtMinorUnits: 100),
            LedgerPosting.adjustment(from: confirmed, to: refunded, availableMinorUnits: 300),
            LedgerPosting.adjustment(
                from: confirmed, to: refunded, availableMinorUnits: 300,
                lots: .init(remainingMinorUnits: 100, expiredMinorUnits: 200)),
        ]
        for posting in postings {
            #expect(posting.isBalanced, "\(posting.kind)")
            let pending = posting.lines.filter { $0.account == .memberPending }.map(
                \.amountMinorUnits
            )
            let available = posting.lines.filter { $0.account == .memberAvailable }.map(
                \.amountMinorUnits
            )
            let debt = posting.lines.filter { $0.account == .memberDebt }.map(\.amountMinorUnits)
            #expect(pending.reduce(0, +) == posting.delta.pendingMinorUnits)
            #expect(available.reduce(0, +) == posting.delta.availableMinorUnits)
            #expect(-debt.reduce(0, +) == posting.delta.debtMinorUnits)
            let expired = posting.lines.filter { $0.account == .memberExpired }.map(
                \.amountMinorUnits)
            #expect(expired.reduce(0, +) == posting.delta.expiredMinorUnits)
        }
        #expect(postings.map(\.kind) == [.accrue, .confirm, .cancel, .confirm, .adjust, .adjust])
        #expect(postings[1].delta.lifetimeMinorUnits == 750)
        #expect(postings[0].delta.lifetimeMinorUnits == 0)
        #expect(postings[2].delta.lifetimeMinorUnits == 0)
        // Commission 1 200, cashback 750: the receivable takes the commission, the margin
        // the difference.
        #expect(postings[0].lines.map(\.amountMinorUnits) == [750, -1_200, 450])
        // Debt 100 is paid off first: 650 reach available.
        #expect(postings[3].delta.availableMinorUnits == 650)
        #expect(postings[3].delta.debtMinorUnits == -100)
        // A clawback of 500 with 300 available: 300 from available, 200 becomes debt.
        #expect(postings[4].delta.availableMinorUnits == -300)
        #expect(postings[4].delta.debtMinorUnits == 200)
        #expect(postings[4].delta.lifetimeMinorUnits == -500)
        // The same clawback of an accrual whose lot has 100 left and expired 200: the 100 left,
        // then the 200 expired, then 200 more of available; no debt.
        #expect(postings[5].delta.availableMinorUnits == -300)
        #expect(postings[5].delta.expiredMinorUnits == -200)
        #expect(postings[5].delta.debtMinorUnits == 0)
        #expect(postings[5].delta.lifetimeMinorUnits == -500)
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
