import CoreMetrics
import Prometheus
import RPC

/// What cashbackd shows of itself: Prometheus metrics on an admin listener, and one access
/// line per call. Both off by default.
///
/// ```swift
/// let registry = PrometheusCollectorRegistry()
/// var observability = ServerObservability()
/// observability.registry = registry
/// observability.metricsListen = try HostAndPort(parsing: "127.0.0.1:9464")
/// observability.accessLog = AccessLog(sink: sink, format: .json)
/// let server = CashbackServer(configuration: configuration, logger: logger, observability: observability)
/// ```
public struct ServerObservability: Sendable {
    /// Where every metric is kept (``ServerMetrics``, `LedgerMetrics`); `nil`: none is kept,
    /// and nothing is counted.
    public var registry: PrometheusCollectorRegistry?
    /// Where `GET /metrics` is served (``MetricsListener``); `nil`: nowhere. Needs `registry`.
    public var metricsListen: HostAndPort?
    /// One line per call; `nil`: none.
    public var accessLog: AccessLog?

    /// Nothing counted, served or logged.
    public init() {}

    /// The factory the server's instruments are made from; `nil` without a registry.
    var metricsFactory: (any MetricsFactory)? {
        registry.map { ServerMetrics.prometheusFactory(registry: $0) }
    }

    /// The router's observer; `nil` when neither metrics nor the access log are on.
    var callObserver: CallObserver? {
        guard registry != nil || accessLog != nil else { return nil }
        return CallObserver(factory: metricsFactory, accessLog: accessLog)
    }
}
