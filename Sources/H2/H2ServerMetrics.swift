import CoreMetrics

/// What an ``H2Server`` counts as it serves, as swift-metrics instruments that the caller makes
/// (and so names) from its own factory.
///
/// Each connection accepted increments ``connectionsAccepted`` and ``connectionsOpen`` once,
/// and its close decrements ``connectionsOpen``; each HTTP/2 stream moves ``streamsActive`` up
/// when its headers begin and down when it closes (or its connection does).
///
/// ```swift
/// let metrics = H2ServerMetrics(
///     connectionsAccepted: Counter(label: "connections_accepted_total", factory: factory),
///     connectionsOpen: Meter(label: "connections_open", factory: factory),
///     streamsActive: Meter(label: "streams_active", factory: factory))
/// let server = try await H2Server.bind(host: "127.0.0.1", port: 0, router: router, metrics: metrics)
/// ```
public struct H2ServerMetrics: Sendable {
    /// Connections accepted: admitted past the connection limits, before TLS.
    let connectionsAccepted: Counter
    /// Connections open now.
    let connectionsOpen: Meter
    /// HTTP/2 streams open now, over every connection.
    let streamsActive: Meter

    /// Counts into the given instruments.
    public init(connectionsAccepted: Counter, connectionsOpen: Meter, streamsActive: Meter) {
        self.connectionsAccepted = connectionsAccepted
        self.connectionsOpen = connectionsOpen
        self.streamsActive = streamsActive
    }

    /// Counts nothing (swift-metrics' no-op handler).
    public static var disabled: H2ServerMetrics {
        let factory = NOOPMetricsHandler.instance
        return H2ServerMetrics(
            connectionsAccepted: Counter(label: "", factory: factory),
            connectionsOpen: Meter(label: "", factory: factory),
            streamsActive: Meter(label: "", factory: factory))
    }
}
