import CoreMetrics
import Synchronization

/// What an ``H2Server`` counts as it serves, as swift-metrics instruments that the caller makes
/// (and so names) from its own factory.
///
/// Each connection accepted increments ``connectionsAccepted`` at once. The two gauges are
/// sampled: ``H2Server/recordGauges()`` sets them to the connections and HTTP/2 streams open
/// at that moment (call it before they are read, a scrape). A stream is counted by its own
/// connection, which alone writes that count, so that serving a call updates nothing that
/// another event loop updates too.
///
/// ```swift
/// let metrics = H2ServerMetrics(
///     connectionsAccepted: Counter(label: "connections_accepted_total", factory: factory),
///     connectionsOpen: Gauge(label: "connections_open", factory: factory),
///     streamsActive: Gauge(label: "streams_active", factory: factory))
/// let server = try await H2Server.bind(host: "127.0.0.1", port: 0, router: router, metrics: metrics)
/// // before each scrape:
/// server.recordGauges()
/// ```
public struct H2ServerMetrics: Sendable {
    /// Connections accepted: admitted past the connection limits, before TLS.
    let connectionsAccepted: Counter
    /// Connections open, as of ``H2Server/recordGauges()``.
    let connectionsOpen: Gauge
    /// HTTP/2 streams open over every connection, as of ``H2Server/recordGauges()``.
    let streamsActive: Gauge

    /// Counts into the given instruments.
    public init(connectionsAccepted: Counter, connectionsOpen: Gauge, streamsActive: Gauge) {
        self.connectionsAccepted = connectionsAccepted
        self.connectionsOpen = connectionsOpen
        self.streamsActive = streamsActive
    }

    /// Counts nothing (swift-metrics' no-op handler).
    public static var disabled: H2ServerMetrics {
        let factory = NOOPMetricsHandler.instance
        return H2ServerMetrics(
            connectionsAccepted: Counter(label: "", factory: factory),
            connectionsOpen: Gauge(label: "", factory: factory),
            streamsActive: Gauge(label: "", factory: factory))
    }
}

/// The HTTP/2 streams open on one connection: written by the connection's event loop only,
/// read by whoever samples the server's gauges.
final class OpenStreams: Sendable {
    private let count = Atomic<Int>(0)

    func opened() { count.add(1, ordering: .relaxed) }
    func closed(_ streams: Int = 1) { count.subtract(streams, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
