import NIOCore

/// A token bucket over a connection's "glitches": frames that cost the server work but carry
/// no request — PINGs, SETTINGS, RST_STREAMs from the peer, empty DATA frames, invalid frames.
/// nghttp2 1.52 has no glitch limiter of its own (upstream added one in 1.67), and these are
/// the levers of floods such as MadeYouReset (CVE-2025-8671) and PING floods.
///
/// A value with no I/O: the handler records each glitch with the time it happened and closes
/// the connection with ENHANCE_YOUR_CALM when ``record(at:)`` says the budget is spent.
struct GlitchBudget {
    /// Glitches allowed in a burst.
    let burstMax: Int
    /// Glitches forgiven per second.
    let refillPerSecond: Int
    private var tokens: Int
    private var lastRefill: NIODeadline

    init(burstMax: Int, refillPerSecond: Int, now: NIODeadline) {
        precondition(burstMax >= 1, "a budget needs at least one token")
        precondition(refillPerSecond >= 0, "refill cannot be negative")
        self.burstMax = burstMax
        self.refillPerSecond = refillPerSecond
        self.tokens = burstMax
        self.lastRefill = now
    }

    /// Records one glitch at `now`; returns `false` once the budget is spent.
    mutating func record(at now: NIODeadline) -> Bool {
        refill(at: now)
        guard tokens > 0 else { return false }
        tokens -= 1
        return true
    }

    private mutating func refill(at now: NIODeadline) {
        let elapsed = now - lastRefill
        guard refillPerSecond > 0, elapsed.nanoseconds > 0 else { return }
        let nanosecondsPerToken = 1_000_000_000 / Int64(refillPerSecond)
        let earned = elapsed.nanoseconds / nanosecondsPerToken
        guard earned > 0 else { return }
        tokens = Int(min(Int64(burstMax), Int64(tokens) + earned))
        lastRefill = lastRefill + .nanoseconds(earned * nanosecondsPerToken)
    }
}
