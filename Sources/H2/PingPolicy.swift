import NIOCore

/// gRPC's policy on the peer's PINGs (grpc/grpc `doc/keepalive.md`): a PING that arrives less
/// than ``intervalMin`` after the previous one, with no headers or data sent in between, is a
/// strike; past ``strikesMax`` strikes the connection is closed with
/// GOAWAY(ENHANCE_YOUR_CALM, "too_many_pings"). Sending headers or data resets the count, so
/// that pings which follow responses (BDP probes, one a round trip while a large response
/// flows) are never strikes, and the connection does not count them as glitches either.
///
/// A value with no I/O: the connection handler feeds it the times.
struct PingStrikes {
    /// The shortest interval between two pings that is not a strike.
    let intervalMin: TimeAmount
    /// Strikes allowed; the next one closes the connection.
    let strikesMax: Int
    private var lastPing: NIODeadline?
    private(set) var strikes = 0
    /// Whether this side sent headers or data since the peer's last PING.
    private var sentSinceLastPing = false

    /// What a PING from the peer is.
    enum Verdict: Equatable {
        /// It follows headers or data this side sent: expected (a BDP probe, a keepalive).
        case expected
        /// Not expected, but within the policy.
        case allowed
        /// The strike too many.
        case tooMany
    }

    /// Records a PING from the peer at `now`.
    mutating func judge(pingAt now: NIODeadline) -> Verdict {
        let expected = sentSinceLastPing
        sentSinceLastPing = false
        guard receivedPing(at: now) else { return .tooMany }
        return expected ? .expected : .allowed
    }

    init(intervalMin: TimeAmount, strikesMax: Int) {
        self.intervalMin = intervalMin
        self.strikesMax = strikesMax
    }

    /// Records a PING from the peer at `now`; returns `false` once the peer is out of strikes.
    mutating func receivedPing(at now: NIODeadline) -> Bool {
        defer { lastPing = now }
        guard let lastPing, now - lastPing < intervalMin else { return true }
        strikes += 1
        return strikes <= strikesMax
    }

    /// This side sent headers or data.
    mutating func sentHeadersOrData() {
        lastPing = nil
        strikes = 0
        sentSinceLastPing = true
    }
}

/// The ids of the last few streams that closed after their request had arrived in full: a
/// reset of one of them is a client's cancellation that crossed our answer, not a glitch.
struct RecentStreamIDs {
    private var ids: [Int32]
    private var next = 0

    init(capacity: Int) {
        ids = Array(repeating: 0, count: capacity)
    }

    mutating func insert(_ id: Int32) {
        ids[next] = id
        next = (next + 1) % ids.count
    }

    /// Removes `id`; returns whether it was there (so a second reset of it is a glitch).
    mutating func remove(_ id: Int32) -> Bool {
        guard id > 0, let index = ids.firstIndex(of: id) else { return false }
        ids[index] = 0
        return true
    }
}
