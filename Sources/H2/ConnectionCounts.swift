/// Open connections counted in all and by peer address, each against its cap: what a listener
/// keeps, under its own lock, to refuse a connection past either (the server's connections,
/// the metrics listener's).
///
/// ```swift
/// let counts = NIOLockedValueBox(ConnectionCounts())
/// let peer = channel.remoteAddress?.ipAddress ?? "unknown"
/// if let refusal = counts.withLockedValue({ $0.admit(peer: peer, max: 16, perPeerMax: 4) }) {
///     return channel.close()
/// }
/// channel.closeFuture.whenComplete { _ in counts.withLockedValue { $0.release(peer: peer) } }
/// ```
public struct ConnectionCounts: Sendable {
    /// Why a connection was refused.
    public enum Refusal: Equatable, Sendable {
        /// `max` connections are open.
        case atLimit
        /// The address holds `perPeerMax` connections already.
        case peerAtLimit(String)
    }

    /// Connections open.
    public private(set) var total = 0
    /// Connections open, by peer address; an address without any is absent.
    private var perPeer: [String: Int] = [:]

    public init() {}

    /// Counts a new connection from `peer`, unless `max` are open or `perPeerMax` from `peer`.
    public mutating func admit(peer: String, max: Int, perPeerMax: Int) -> Refusal? {
        guard total < max else { return .atLimit }
        guard perPeer[peer, default: 0] < perPeerMax else { return .peerAtLimit(peer) }
        total += 1
        perPeer[peer, default: 0] += 1
        return nil
    }

    /// Counts an admitted connection from `peer` as closed.
    public mutating func release(peer: String) {
        total -= 1
        perPeer[peer, default: 1] -= 1
        if perPeer[peer] == 0 { perPeer[peer] = nil }
    }
}
