/// The random numbers of one `bench` worker, for `{{random:N}}`: xoshiro256** (Blackman and
/// Vigna, <https://prng.di.unimi.it/xoshiro256starstar.c>), seeded from the run's `--seed` and
/// the worker's index.
///
/// Each worker owns its generator, so drawing takes no lock. The algorithm is written out here
/// rather than taken from the standard library (which has no seedable generator, and whose
/// `random(in:using:)` may change how it maps bits to a range between releases): the same seed
/// draws the same numbers with any build of the probe, so a run can be repeated. The
/// `Xoshiro` of swift-property-based (the same algorithm) is not used: that module imports
/// Swift Testing, which has no place in a shipped tool.
///
/// ```swift
/// var random = BenchRandom(seed: 42, worker: 3)
/// random.next(below: 10_000)  // the same value on every run with --seed 42, for worker 3
/// ```
struct BenchRandom {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// The largest `N` of `{{random:N}}`, 10¹²: member ids and amounts, with room to spare.
    static let boundMax: UInt64 = 1_000_000_000_000

    /// Worker `worker`'s generator for the run seeded with `seed`.
    ///
    /// The four words of the state are outputs `4w + 1` to `4w + 4` of SplitMix64 started at
    /// `seed`, as the xoshiro authors advise seeding it: every worker gets its own part of one
    /// SplitMix64 stream, so no two workers start alike, and the state is never all zero
    /// (SplitMix64's output is a bijection of four distinct counters, so at most one is 0).
    init(seed: UInt64, worker: Int) {
        precondition(worker >= 0, "worker indices start at 0")
        var counter = seed &+ UInt64(4 * worker) &* Self.splitMixGamma
        state = (
            Self.splitMix(&counter), Self.splitMix(&counter), Self.splitMix(&counter),
            Self.splitMix(&counter)
        )
    }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        let result = (state.1 &* 5).rotatedLeft(by: 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = state.3.rotatedLeft(by: 45)
        return result
    }

    /// A uniformly random integer `0 ≤ value < bound`, by Lemire's multiply-and-reject
    /// (<https://arxiv.org/abs/1805.10941>): the high word of `random × bound`, drawn again in
    /// the rare case (below `2⁶⁴ mod bound` in the low word) that would favour small values.
    mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "{{random:N}} needs N ≥ 1")
        var (high, low) = next().multipliedFullWidth(by: bound)
        if low < bound {
            let threshold = (0 &- bound) % bound
            while low < threshold { (high, low) = next().multipliedFullWidth(by: bound) }
        }
        return high
    }

    /// SplitMix64's increment: the golden ratio's fractional part in 64 bits.
    private static let splitMixGamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// Advances a SplitMix64 `counter` and answers its output (Steele, Lea and Flood,
    /// <https://prng.di.unimi.it/splitmix64.c>).
    private static func splitMix(_ counter: inout UInt64) -> UInt64 {
        counter &+= splitMixGamma
        let once = (counter ^ (counter >> 30)) &* 0xBF58_476D_1CE4_E5B9
        let twice = (once ^ (once >> 27)) &* 0x94D0_49BB_1331_11EB
        return twice ^ (twice >> 31)
    }
}

extension UInt64 {
    /// The bits moved `count` places to the left, those that leave at the top coming back at
    /// the bottom.
    fileprivate func rotatedLeft(by count: UInt64) -> UInt64 {
        (self << count) | (self >> (64 - count))
    }
}
