import RPC

/// How long the client waits before connecting again to an endpoint it could not reach,
/// after gRPC's connection backoff
/// ([doc/connection-backoff.md](https://github.com/grpc/grpc/blob/master/doc/connection-backoff.md)).
///
/// The first attempt to reconnect follows at once when a connection closes. When an attempt
/// fails, the next may start ``initialBackoff`` after the failed one started; each later wait
/// is the previous one times ``multiplier`` (at most ``maxBackoff``), moved at random by up to
/// ``jitter`` of itself either way, so that many clients do not reconnect in step. An attempt
/// may take `max(minConnectTimeout, its backoff)`. While an endpoint waits, calls do not wait
/// with it: they go to another endpoint that is up, or fail at once with UNAVAILABLE naming
/// the endpoint and the last attempt's error. A successful connection starts the sequence
/// over.
///
/// ```swift
/// var backoff = ConnectionBackoff.default
/// backoff.maxBackoff = .seconds(30)
/// ```
public struct ConnectionBackoff: Hashable, Sendable {
    /// The wait after the first failed attempt: 1 s.
    public var initialBackoff: Duration
    /// How each wait grows from the previous one: 1.6.
    public var multiplier: Double
    /// The random part of each wait after the first, as a share of it: 0.2 (±20 %), in 0..<1.
    public var jitter: Double
    /// The longest wait, before jitter: 120 s.
    public var maxBackoff: Duration
    /// The least time an attempt may take to connect (TCP, and TLS's handshake has its own
    /// timeout): 20 s.
    public var minConnectTimeout: Duration

    /// Creates a backoff; the defaults are gRPC's.
    ///
    /// The values are checked when the client connects (INVALID_ARGUMENT naming the one out
    /// of range).
    public init(
        initialBackoff: Duration = .seconds(1), multiplier: Double = 1.6, jitter: Double = 0.2,
        maxBackoff: Duration = .seconds(120), minConnectTimeout: Duration = .seconds(20)
    ) {
        self.initialBackoff = initialBackoff
        self.multiplier = multiplier
        self.jitter = jitter
        self.maxBackoff = maxBackoff
        self.minConnectTimeout = minConnectTimeout
    }

    /// gRPC's: 1 s, × 1.6, ±20 %, at most 120 s, 20 s to connect.
    public static let `default` = ConnectionBackoff()

    /// Checks every value, naming the one out of range.
    ///
    /// - Parameter argument: how the caller named the backoff, e.g. `connectionBackoff`.
    /// - Throws: ``RPCError`` INVALID_ARGUMENT naming the field and its accepted range.
    func check(argument: String) throws(RPCError) {
        try ArgumentCheck.requirePositive(initialBackoff, argument, "initialBackoff")
        try ArgumentCheck.require(
            multiplier.isFinite && multiplier >= 1, argument,
            "multiplier must be a finite number of 1 or more, got \(multiplier)")
        try ArgumentCheck.require(
            jitter >= 0 && jitter < 1, argument, "jitter must be in 0..<1, got \(jitter)")
        try ArgumentCheck.require(
            maxBackoff >= initialBackoff, argument,
            "maxBackoff must be at least initialBackoff (\(initialBackoff)), got \(maxBackoff)")
        try ArgumentCheck.requirePositive(minConnectTimeout, argument, "minConnectTimeout")
    }
}

/// Checks of the arguments of ``CashbackClient/connect(endpoints:balancing:tls:limits:connectionBackoff:retryPolicy:token:logger:)``:
/// each failure is INVALID_ARGUMENT naming the argument, the accepted range and the value.
enum ArgumentCheck {
    /// Throws `argument.problem` unless `condition` holds (`problem` alone for a top-level
    /// argument, whose `argument` is empty).
    static func require(
        _ condition: Bool, _ argument: String, _ problem: @autoclosure () -> String
    ) throws(RPCError) {
        guard !condition else { return }
        let name = argument.isEmpty ? problem() : "\(argument).\(problem())"
        throw RPCError(.invalidArgument, name)
    }

    /// Throws unless `duration` is above zero.
    static func requirePositive(_ duration: Duration, _ argument: String, _ field: String)
        throws(RPCError)
    {
        try require(duration > .zero, argument, "\(field) must be positive, got \(duration)")
    }
}
