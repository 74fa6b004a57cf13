import CashbackCore
import Testing

@Suite("LedgerLimits relations")
struct LedgerLimitsTests {
    /// 10^15 × 10^4 = 10^19 exceeds `Int64.max` (≈ 9.22 × 10^18): the product does not fit in
    /// 64 bits, which is why `Cashback` multiplies at full width. What must fit is the result.
    @Test("the largest amount at the largest rate needs the full-width product")
    func amountTimesRateNeedsFullWidth() {
        let amount = LedgerLimits.eligibleMinorUnits.upperBound
        let rate = LedgerLimits.shopperRateBasisPoints.upperBound
        let (_, overflow) = amount.multipliedReportingOverflow(by: rate)
        #expect(overflow)
        let wide = amount.multipliedFullWidth(by: rate)
        let (quotient, remainder) = Cashback.basisPointsPerWhole.dividingFullWidth(wide)
        #expect(quotient == amount)
        #expect(remainder == 0)
    }

    @Test("cashback of the largest amount is at most the amount")
    func cashbackBounded() {
        let cashback = Cashback.amountMinorUnits(
            eligibleMinorUnits: LedgerLimits.eligibleMinorUnits.upperBound,
            rateBasisPoints: LedgerLimits.shopperRateBasisPoints.upperBound
        )
        #expect(cashback == LedgerLimits.eligibleMinorUnits.upperBound)
    }

    @Test("a balance holds at least 9000 maximal accruals before it could overflow")
    func balanceHeadroom() {
        let accrualsToOverflow = Int64.max / LedgerLimits.eligibleMinorUnits.upperBound
        #expect(accrualsToOverflow >= 9_000)
    }

    @Test("rates span 0 % to 100 % and amounts are positive")
    func ranges() {
        #expect(LedgerLimits.shopperRateBasisPoints == 0...10_000)
        #expect(LedgerLimits.shopperRateBasisPoints.upperBound == Cashback.basisPointsPerWhole)
        #expect(LedgerLimits.eligibleMinorUnits.lowerBound == 1)
        #expect(LedgerLimits.eligibleMinorUnits.upperBound == 1_000_000_000_000_000)
    }

    @Test("ids and names are non-empty and ids fit inside names' limit")
    func textLimits() {
        #expect(LedgerLimits.identifierBytes == 1...128)
        #expect(LedgerLimits.merchantNameBytes == 1...200)
        #expect(
            LedgerLimits.identifierBytes.upperBound <= LedgerLimits.merchantNameBytes.upperBound
        )
    }

    @Test("order times run from just after the epoch to the end of year 9999")
    func orderedAtLimits() {
        #expect(LedgerLimits.orderedAtMilliseconds.lowerBound == 1)
        // 9999-12-31T23:59:59.999Z: days from 1970-01-01 to 10000-01-01 is 2_932_897.
        let endOfYear9999 = Int64(2_932_897) * 86_400_000 - 1
        #expect(LedgerLimits.orderedAtMilliseconds.upperBound == endOfYear9999)
    }
}
