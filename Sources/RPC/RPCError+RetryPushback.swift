extension RPCError {
    /// A server's word on retrying a failed call: the trailer `grpc-retry-pushback-ms` of
    /// [gRFC A6](https://github.com/grpc/proposal/blob/master/A6-client-retries.md).
    ///
    /// A handler sets it on the error it throws; the HTTP/2 server sends it with the status, and
    /// the HTTP/2 client puts it back on the ``RPCError`` the call fails with.
    ///
    /// ```swift
    /// var error = RPCError(.unavailable, "the ledger is restarting")
    /// error.retryPushback = .retryAfter(.milliseconds(250))
    /// throw error
    /// ```
    public enum RetryPushback: Hashable, Sendable {
        /// Retry no sooner than this (a client with a retry policy retries after exactly
        /// this, if the method may be retried).
        case retryAfter(Duration)
        /// Do not retry this call.
        case doNotRetry

        /// The trailer's name.
        public static let headerName = "grpc-retry-pushback-ms"

        /// The longest delay read from the trailer: 2^31 − 1 ms (~24.8 days), a 32-bit integer
        /// as grpc-java parses it.
        public static let millisecondsMax: Int64 = Int64(Int32.max)

        /// Reads the trailer's value: a decimal number of milliseconds; anything else
        /// (negative, empty, not a number, more than ``millisecondsMax``) means "do not retry",
        /// as A6 says.
        public init(headerValue: String) {
            guard !headerValue.isEmpty, headerValue.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                let milliseconds = Int64(headerValue), milliseconds <= Self.millisecondsMax
            else {
                self = .doNotRetry
                return
            }
            self = .retryAfter(.milliseconds(milliseconds))
        }

        /// The trailer's value: whole milliseconds, rounded up, or `-1` for "do not retry".
        public var headerValue: String {
            switch self {
            case .doNotRetry:
                return "-1"
            case .retryAfter(let delay):
                let (seconds, attoseconds) = max(delay, .zero).components
                let perMillisecond: Int64 = 1_000_000_000_000_000
                return "\(seconds * 1000 + (attoseconds + perMillisecond - 1) / perMillisecond)"
            }
        }
    }
}
