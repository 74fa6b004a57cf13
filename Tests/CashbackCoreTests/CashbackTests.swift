import CashbackCore
import Testing

@Suite("Cashback.amountMinorUnits")
struct CashbackTests {
    @Test(
        "rounds down at the boundaries",
        arguments: [
            // (eligible, bps, expected)
            (Int64(0), Int64(500), Int64(0)),
            (9_999, 1, 0),
            (10_000, 1, 1),
            (19_999, 1, 1),
            (20_000, 1, 2),
            (1_999, 500, 99),
            (2_000, 500, 100),
            (1, 9_999, 0),
            (1, 10_000, 1),
            (12_345, 0, 0),
            (12_345, 10_000, 12_345),
            (1_000_000_000_000_000, 10_000, 1_000_000_000_000_000),
            (1_000_000_000_000_000, 1, 100_000_000_000),
            (999_999_999_999_999, 3_333, 333_299_999_999_999),
        ]
    )
    func roundsDown(eligible: Int64, bps: Int64, expected: Int64) {
        #expect(
            Cashback.amountMinorUnits(eligibleMinorUnits: eligible, rateBasisPoints: bps)
                == expected
        )
    }

    @Test("the full-width product cannot overflow, even at Int64.max")
    func fullWidthAtTheTop() {
        let max = Int64.max
        #expect(Cashback.amountMinorUnits(eligibleMinorUnits: max, rateBasisPoints: 10_000) == max)
        // Int64.max * 9_999 / 10_000, computed independently: max - ceil(max / 10_000).
        let expected = max - (max / 10_000 + 1)
        #expect(
            Cashback.amountMinorUnits(eligibleMinorUnits: max, rateBasisPoints: 9_999) == expected
        )
    }

    @Test("never exceeds the eligible amount and grows with the rate")
    func monotonicInRate() {
        let eligible: Int64 = 987_654_321
        var previous: Int64 = 0
        for bps in stride(from: Int64(0), through: 10_000, by: 7) {
            let cashback = Cashback.amountMinorUnits(
                eligibleMinorUnits: eligible,
                rateBasisPoints: bps
            )
            #expect(cashback >= previous)
            #expect(cashback <= eligible)
            // floor: the remainder left with the books is less than one minor unit.
            #expect(cashback * 10_000 <= eligible * bps)
            #expect((cashback + 1) * 10_000 > eligible * bps)
            previous = cashback
        }
    }
}
