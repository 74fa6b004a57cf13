import CashbackCore
import Testing

@Suite("LedgerRejection")
struct LedgerRejectionTests {
    @Test("codes keep their wire numbers")
    func fixedRawValues() {
        let expected: [(LedgerRejection.Code, UInt8)] = [
            (.invalidArgument, 1),
            (.merchantNotFound, 2),
            (.currencyMismatch, 3),
            (.orderConflict, 4),
            (.accrualNotFound, 5),
            (.confirmAfterCancel, 6),
            (.cancelAfterConfirm, 7),
            (.merchantPaused, 8),
            (.ruleSetNotFound, 9),
            (.idempotencyConflict, 10),
            (.adjustmentRefused, 11),
            (.seedRateChanged, 12),
            (.insufficientFunds, 13),
            (.memberFrozen, 14),
            (.redemptionNotFound, 15),
            (.withdrawalNotFound, 16),
            (.withdrawalSettled, 17),
            (.refundExceedsRedemption, 18),
            (.belowWithdrawalMinimum, 19),
            (.claimNotFound, 20),
            (.claimDecided, 21),
            (.duplicateClaim, 22),
            (.velocityLimit, 23),
        ]
        for (code, raw) in expected {
            #expect(code.rawValue == raw, "\(code)")
            #expect(LedgerRejection.Code(rawValue: raw) == code)
        }
        #expect(LedgerRejection.Code.allCases.count == expected.count)
        #expect(LedgerRejection.Code(rawValue: 0) == nil)
        #expect(LedgerRejection.Code(rawValue: 24) == nil)
    }

    @Test("equality covers code and message")
    func equality() {
        let a = LedgerRejection(.orderConflict, "x")
        #expect(a == LedgerRejection(.orderConflict, "x"))
        #expect(a != LedgerRejection(.orderConflict, "y"))
        #expect(a != LedgerRejection(.accrualNotFound, "x"))
        #expect(a.description == "orderConflict: x")
    }
}
