import ArgumentParser
import CashbackServer
import CoreMetrics
import Logging
import Prometheus
import RPC

/// What `cashbackd serve` shows of itself: Prometheus metrics on an admin listener, the log's
/// format, and one access line per call (README, "Metrics and logs"). The checks are
/// ``ResolvedSettings``'s, once every source is read.
struct ObservabilityOptions: ParsableArguments {
    @Option(
        help: """
            Serve Prometheus metrics at http://HOST:PORT/metrics (HTTP/1.1, GET and HEAD only); off \
            unless given. Any address is allowed (metrics hold no token, account or amount \
            of one member), loopback unless you need it elsewhere; port 0 picks a free one, \
            which the log names ("serving metrics on ...").
            """)
    var metricsListen: String?

    @Option(
        help: """
            Log lines as text or json (one JSON object per line).\
            \(ServeSettings.logFormat.defaultNote)
            """)
    var logFormat: String?

    @Flag(
        inversion: .prefixedNo,
        help: """
            One info line per call: request id, method, status, duration, peer and the \
            caller's token name (never the token). On unless --no-access-log, or a \
            --log-level above info.
            """)
    var accessLog: Bool?

    /// Records the observability flags given.
    func add(to flags: inout GivenFlags) {
        flags.add(ServeSettings.metricsListen, metricsListen)
        flags.add(ServeSettings.logFormat, logFormat)
        flags.add(ServeSettings.accessLog, accessLog)
    }
}

extension ResolvedSettings {
    /// The admin listener's address; `nil` when metrics are off.
    func metricsAddress() throws -> HostAndPort? {
        guard let metricsListen = self[ServeSettings.metricsListen] else { return nil }
        do {
            return try HostAndPort(parsing: metricsListen)
        } catch {
            throw ValidationError("--metrics-listen: \(error) (e.g. 127.0.0.1:9464)")
        }
    }

    /// The log's format, or an error that lists the valid ones.
    func logFormat() throws -> LogFormat {
        let name = self[ServeSettings.logFormat]
        guard let format = LogFormat(rawValue: name) else {
            throw ValidationError(
                "unknown --log-format '\(name)'; use "
                    + LogFormat.allCases.map(\.rawValue).joined(separator: " or "))
        }
        return format
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
        if self[ServeSettings.accessLog], logLevel <= .info {
            observability.accessLog = AccessLog(sink: sink, format: try logFormat())
        }
        return observability
    }
}
