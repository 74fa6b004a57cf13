import CoreMetrics
import NIOConcurrencyHelpers
import RPC

/// The router's observer in cashbackd: per method, a request count by status and a latency
/// histogram (``ServerMetrics``), and the access line (``AccessLog``).
///
/// Every handle is made when the router registers the method, so a call costs an atomic
/// increment, one histogram observation (a short lock) and, with the access log on, one line.
/// The count of a status other than OK is made the first time a method ends with it, so the
/// scrape is not padded with zeros.
///
/// ```swift
/// let observer = CallObserver(factory: PrometheusMetricsFactory(registry: registry), accessLog: nil)
/// var router = RPCRouter(accessControl: access, observer: observer)
/// ```
public struct CallObserver: RPCCallObserver {
    private let factory: (any MetricsFactory)?
    private let accessLog: AccessLog?

    /// Counts calls into instruments made from `factory` (`nil`: none) and logs each call to
    /// `accessLog` (`nil`: none).
    public init(factory: (any MetricsFactory)?, accessLog: AccessLog?) {
        self.factory = factory
        self.accessLog = accessLog
    }

    public func observer(of method: MethodDescriptor) -> any RPCMethodObserver {
        MethodCalls(label: method.fullName, logsPath: false, factory: factory, accessLog: accessLog)
    }

    public func observerOfUnknownMethods() -> any RPCMethodObserver {
        MethodCalls(
            label: ServerMetrics.unknownMethod, logsPath: true, factory: factory,
            accessLog: accessLog)
    }
}

/// The instruments and the access log of one method.
private final class MethodCalls: RPCMethodObserver {
    /// The `method` label value.
    private let label: String
    /// Whether the access line names the path called rather than ``label`` (unknown methods).
    private let logsPath: Bool
    private let factory: (any MetricsFactory)?
    private let accessLog: AccessLog?
    private let succeeded: Counter?
    private let duration: Timer?
    /// Counts of the other statuses, by code, made as they first happen.
    private let failed = NIOLockedValueBox<[Int: Counter]>([:])

    init(label: String, logsPath: Bool, factory: (any MetricsFactory)?, accessLog: AccessLog?) {
        self.label = label
        self.logsPath = logsPath
        self.factory = factory
        self.accessLog = accessLog
        if let factory {
            succeeded = ServerMetrics.requests(method: label, code: .ok, factory: factory)
            duration = Timer(
                label: ServerMetrics.Name.requestDuration, dimensions: [("method", label)],
                factory: factory)
        } else {
            succeeded = nil
            duration = nil
        }
    }

    func callEnded(_ context: RPCServerContext, code: RPCStatusCode, duration: Duration) {
        if factory != nil {
            if code == .ok { succeeded?.increment() } else { failures(code).increment() }
            self.duration?.recordNanoseconds(duration.nanoseconds)
        }
        if let accessLog {
            let method = logsPath ? AccessLog.printable(context.method.fullName) : label
            accessLog.record(method: method, context: context, code: code, duration: duration)
        }
    }

    /// The count of calls that ended with `code` (not OK).
    private func failures(_ code: RPCStatusCode) -> Counter {
        failed.withLockedValue { counters in
            if let counter = counters[code.rawValue] { return counter }
            let counter = ServerMetrics.requests(method: label, code: code, factory: factory!)
            counters[code.rawValue] = counter
            return counter
        }
    }
}
