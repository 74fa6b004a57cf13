import Logging
import NIOConcurrencyHelpers

/// Every record logged through ``logger``, for tests of what is logged.
public final class CapturedLogs: Sendable {
    public struct Record: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]

        /// The message and every metadata key and value, as one text to search.
        public var text: String {
            ([message] + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
                .joined(separator: " ")
        }
    }

    private let state = NIOLockedValueBox<[Record]>([])

    public init() {}

    public var records: [Record] { state.withLockedValue { $0 } }

    /// A logger at `debug` that records here.
    public var logger: Logger {
        var logger = Logger(label: "test.client", factory: { _ in Handler(logs: self) })
        logger.logLevel = .debug
        return logger
    }

    fileprivate func append(_ record: Record) {
        state.withLockedValue { $0.append(record) }
    }

    private struct Handler: LogHandler {
        let logs: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            logs.append(
                Record(
                    level: event.level, message: "\(event.message)",
                    metadata: merged.mapValues { "\($0)" }))
        }
    }
}
