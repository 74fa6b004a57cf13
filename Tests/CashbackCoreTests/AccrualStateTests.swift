import CashbackCore
import Testing

@Suite("AccrualState")
struct AccrualStateTests {
    @Test("states keep their wire numbers")
    func fixedRawValues() {
        #expect(AccrualState.pending.rawValue == 1)
        #expect(AccrualState.confirmed.rawValue == 2)
        #expect(AccrualState.cancelled.rawValue == 3)
        #expect(AccrualState.allCases.count == 3)
        #expect(AccrualState(rawValue: 0) == nil)
        #expect(AccrualState(rawValue: 4) == nil)
    }
}
