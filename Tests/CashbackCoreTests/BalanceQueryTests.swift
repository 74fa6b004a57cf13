import CashbackCore
import Testing

@Suite("BalanceQuery validation")
struct BalanceQueryTests {
    @Test("keeps valid fields")
    func valid() throws {
        let query = try BalanceQuery(memberID: "member-1", currency: "EUR")
        #expect(query.memberID == "member-1")
        #expect(query.currency.rawValue == "EUR")
    }

    @Test("refuses a bad member id or currency")
    func invalid() {
        #expect(
            rejection { try BalanceQuery(memberID: "", currency: "EUR") }
                == LedgerRejection(.invalidArgument, "memberId must be 1...128 UTF-8 bytes, got 0")
        )
        let badCurrency = rejection { try BalanceQuery(memberID: "m", currency: "E") }
        #expect(badCurrency?.code == .invalidArgument)
    }
}
