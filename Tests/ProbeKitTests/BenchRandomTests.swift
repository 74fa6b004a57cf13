@testable import ProbeKit
import Testing

/// The generator behind `{{random:N}}`: known answers, one stream per seed and worker, values
/// in range, and a spread that a fixed seed makes certain (no test here can flake: every value
/// is a function of the seed).
@Suite struct BenchRandomTests {
    /// `count` draws below `bound` from worker `worker`'s generator for `seed`.
    static func draws(seed: UInt64, worker: Int = 0, below bound: UInt64, count: Int) -> [UInt64] {
        var random = BenchRandom(seed: seed, worker: worker)
        return (0..<count).map { _ in random.next(below: bound) }
    }

    /// Values from a Python port of the reference C (splitmix64.c, xoshiro256starstar.c) and
    /// of Lemire's bounded draw, written apart from this code; its SplitMix64 gives the
    /// reference's 6457827717110365317, 3203168211198807973… for 1234567. A change here means
    /// a seed no longer repeats an earlier run's values.
    @Test func knownAnswers() {
        var raw = BenchRandom(seed: 42, worker: 0)
        #expect(
            [raw.next(), raw.next(), raw.next()]
                == [1_546_998_764_402_558_742, 6_990_951_692_964_543_102, 12_544_586_762_248_559_009])
        #expect(Self.draws(seed: 42, below: 10_000, count: 6) == [838, 3789, 6800, 9246, 9918, 7697])
        #expect(
            Self.draws(seed: 42, worker: 3, below: 10_000, count: 6) == [2766, 7110, 4912, 6937, 9679, 6440])
        #expect(
            Self.draws(seed: 7, below: 1_000_000_000_000, count: 3)
                == [700_576_482_179, 278_751_229_473, 839_627_461_876])
    }

    @Test func aSeedAndAWorkerAlwaysDrawTheSameValues() {
        #expect(
            Self.draws(seed: 20_261_130, worker: 5, below: 1_000_000, count: 1_000)
                == Self.draws(seed: 20_261_130, worker: 5, below: 1_000_000, count: 1_000))
    }

    /// Workers of one run, and runs of other seeds, draw streams of their own: not equal, and
    /// not one stream shifted by a few places (as SplitMix64 counters one step apart would be).
    @Test func workersAndSeedsDrawStreamsOfTheirOwn() {
        let streams = [
            Self.draws(seed: 1, worker: 0, below: .max, count: 64),
            Self.draws(seed: 1, worker: 1, below: .max, count: 64),
            Self.draws(seed: 2, worker: 0, below: .max, count: 64),
            Self.draws(seed: 0, worker: 0, below: .max, count: 64),
        ]
        for (index, stream) in streams.enumerated() {
            for other in streams[(index + 1)...] {
                #expect(Set(stream).isDisjoint(with: other), "streams \(index) and another share a value")
            }
        }
    }

    @Test(arguments: [1, 2, 3, 7, 10, 1_000, 4_294_967_297, BenchRandom.boundMax, (1 << 63) + 1] as [UInt64])
    func valuesStayBelowTheBound(_ bound: UInt64) {
        let values = Self.draws(seed: bound, below: bound, count: 10_000)
        #expect(values.allSatisfy { $0 < bound })
        if bound == 1 { #expect(Set(values) == [0]) }
    }

    /// 1 000 draws below 8 with a fixed seed: every value appears, none far from its 125.
    @Test func smallBoundsAreCoveredEvenly() {
        let values = Self.draws(seed: 8, below: 8, count: 1_000)
        let counts = Dictionary(grouping: values, by: { $0 }).mapValues(\.count)
        #expect(Set(counts.keys) == Set(0..<8))
        #expect(counts.values.allSatisfy { (75...175).contains($0) }, "\(counts)")
    }

    /// 1 000 draws below 10¹² with a fixed seed reach both ends of the range and halve it
    /// fairly: the high word of the product carries the whole range, not just its low bits.
    @Test func largeBoundsSpanTheirRange() {
        let bound = BenchRandom.boundMax
        let values = Self.draws(seed: 12, below: bound, count: 1_000)
        #expect(values.min()! < bound / 100)
        #expect(values.max()! > bound - bound / 100)
        let lowerHalf = values.filter { $0 < bound / 2 }.count
        #expect((400...600).contains(lowerHalf), "\(lowerHalf)")
    }
}
