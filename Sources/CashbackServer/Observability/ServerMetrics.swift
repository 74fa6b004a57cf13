import CashbackStore
import CoreMetrics
import H2
import Prometheus
import RPC

/// The names of cashbackd's metrics, and the Prometheus factory that keeps them.
///
/// | name | type | labels | counts |
/// |---|---|---|---|
/// | `cashback_rpc_requests_total` | counter | `method`, `code` | calls ended, by status name |
/// | `cashback_rpc_request_duration_seconds` | histogram | `method` | request received to handler end |
/// | `cashback_connections_accepted_total` | counter | | connections admitted |
/// | `cashback_connections_open` | gauge | | connections open at the scrape |
/// | `cashback_streams_active` | gauge | | HTTP/2 streams open at the scrape |
///
/// plus the writer's and the ledger's (``LedgerMetrics``). `method` is a method the router
/// serves (`cashback.v1.Wallet/GetBalance`) or `unknown` for every other path, so a client
/// cannot add label values.
public enum ServerMetrics {
    /// Metric names.
    public enum Name {
        public static let requests = "cashback_rpc_requests_total"
        public static let requestDuration = "cashback_rpc_request_duration_seconds"
        public static let connectionsAccepted = "cashback_connections_accepted_total"
        public static let connectionsOpen = "cashback_connections_open"
        public static let streamsActive = "cashback_streams_active"
    }

    /// The `method` label of every path the router does not serve.
    public static let unknownMethod = "unknown"

    /// Call latency buckets in seconds, 50 µs to 10 s.
    ///
    /// Calls are timed into a histogram of seconds as `Double` (a swift-metrics `Recorder`)
    /// rather than of `Duration` (a `Timer`): both event loops record every call of a method
    /// into one histogram under its lock, and comparing a `Double` with each bucket is several
    /// times cheaper than comparing a `Duration`.
    public static let requestDurationBuckets: [Double] = durationBuckets.map { $0.seconds }

    /// Latency buckets, 50 µs to 10 s (calls and commits).
    public static let durationBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    /// Commands per committed transaction, 1 to the largest batch allowed.
    public static let batchSizeBuckets: [Double] = [
        1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 10_000,
    ]

    /// A swift-metrics factory over `registry`, with the buckets above for the histograms that
    /// need them. `cashbackd serve` bootstraps `MetricsSystem` with it and gives it to the
    /// server.
    public static func prometheusFactory(registry: PrometheusCollectorRegistry)
        -> PrometheusMetricsFactory
    {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = durationBuckets
        factory.durationHistogramBuckets = [LedgerMetrics.Name.commitDuration: durationBuckets]
        factory.valueHistogramBuckets = [
            Name.requestDuration: requestDurationBuckets,
            LedgerMetrics.Name.batchSize: batchSizeBuckets,
        ]
        return factory
    }

    /// The transport's instruments.
    static func transport(factory: any MetricsFactory) -> H2ServerMetrics {
        H2ServerMetrics(
            connectionsAccepted: CoreMetrics.Counter(
                label: Name.connectionsAccepted, factory: factory),
            connectionsOpen: CoreMetrics.Gauge(label: Name.connectionsOpen, factory: factory),
            streamsActive: CoreMetrics.Gauge(label: Name.streamsActive, factory: factory))
    }

    /// The latency histogram of `method`'s calls, in seconds.
    ///
    /// The factory's handler itself, not a `Recorder` around it: `Recorder.record` is generic
    /// over `BinaryFloatingPoint`, and its unspecialized conversion to `Double` showed in the
    /// profile of every call.
    static func requestDuration(method: String, factory: any MetricsFactory)
        -> any RecorderHandler
    {
        factory.makeRecorder(
            label: Name.requestDuration, dimensions: [("method", method)], aggregate: true)
    }

    /// The count of `method`'s calls that ended with `code`.
    static func requests(method: String, code: RPCStatusCode, factory: any MetricsFactory)
        -> CoreMetrics.Counter
    {
        CoreMetrics.Counter(
            label: Name.requests, dimensions: [("method", method), ("code", code.name)],
            factory: factory)
    }
}
