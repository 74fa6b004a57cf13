import ArgumentParser
import CashbackServer
import CoreMetrics
import Logging
import Prometheus
import RPC

/// What `cashbackd serve` shows of itself: Prometheus metrics on an admin listener, the log's
/// format, and one access line per call (README, "Metrics and logs").
struct ObservabilityOptions: ParsableArguments {
    @Option(
        help: """
            Serve Prometheus metrics at http://HOST:PORT/metrics (HTTP/1.1, GET only); off \
            unless given. Any address is allowed (metrics hold no token, account or amount \
            of one member), loopback unless you need it elsewhere; port 0 picks a free one, \
            which the log names ("serving metrics on ...").
            """)
    var metricsListen: String?

    @Option(help: "Log lines as text or json (one JSON object per line).")
    var logFormat: LogFormat = .text

    @Flag(
        inversion: .prefixedNo,
        help: """
            One info line per call: request id, method, status, duration, peer and the \
            caller's token name (never the token). On unless --no-access-log, or a \
            --log-level above info.
            """)
    var accessLog = true

    func validate() throws {
        _ = try metricsAddress()
    }

    /// The admin listener's address; `nil` when metrics are off.
    func metricsAddress() throws -> HostAndPort? {
        guard let metricsListen else { return nil }
        do {
            return try HostAndPort(parsing: metricsListen)
        } catch {
            throw ValidationError("--metrics-listen: \(error) (e.g. 127.0.0.1:9464)")
        }
    }

    /// The server's observability. With metrics on, bootstraps swift-metrics with the same
    /// Prometheus registry, so that any library's metrics are scraped too: call it once, in
    /// `serve`.
    func serverObservability(sink: LogSink, logLevel: Logger.Level) throws -> ServerObservability {
        var observability = ServerObservability()
        if let address = try metricsAddress() {
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(ServerMetrics.prometheusFactory(registry: registry))
            observability.registry = registry
            observability.metricsListen = address
        }
        if accessLog, logLevel <= .info {
            observability.accessLog = AccessLog(sink: sink, format: logFormat)
        }
        return observability
    }
}

extension LogFormat: ExpressibleByArgument {}
