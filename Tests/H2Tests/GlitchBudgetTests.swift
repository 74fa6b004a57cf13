@testable import H2
import NIOCore
import Testing

/// Records outside the `#expect` macro, which cannot call a mutating method.
private func record(_ budget: inout GlitchBudget, _ now: NIODeadline) -> Bool {
    budget.record(at: now)
}

@Suite struct GlitchBudgetTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    @Test func allowsABurstThenRefuses() {
        var budget = GlitchBudget(burstMax: 3, refillPerSecond: 0, now: Self.start)
        #expect(record(&budget, Self.start))
        #expect(record(&budget, Self.start))
        #expect(record(&budget, Self.start))
        #expect(!record(&budget, Self.start))
        #expect(!record(&budget, Self.start + .hours(1)))  // no refill configured
    }

    @Test func refillsAtItsRateAndNeverPastTheBurst() {
        var budget = GlitchBudget(burstMax: 2, refillPerSecond: 10, now: Self.start)
        #expect(record(&budget, Self.start))
        #expect(record(&budget, Self.start))
        #expect(!record(&budget, Self.start + .milliseconds(99)))  // not a whole token yet
        #expect(record(&budget, Self.start + .milliseconds(100)))
        #expect(!record(&budget, Self.start + .milliseconds(150)))
        // A long quiet spell refills to the burst, not beyond.
        let later = Self.start + .seconds(60)
        #expect(record(&budget, later))
        #expect(record(&budget, later))
        #expect(!record(&budget, later))
    }

    @Test func aSteadyTrickleAtTheRateIsNeverRefused() {
        var budget = GlitchBudget(burstMax: 1, refillPerSecond: 20, now: Self.start)
        for tick in 0..<1000 {
            #expect(record(&budget, Self.start + .milliseconds(Int64(tick) * 50)))
        }
    }
}
