/// A call that ended with a status other than OK.
///
/// Handlers throw it to choose the status a caller sees; clients receive it for every failed
/// call, whether the server answered with an error or the call never reached it.
///
/// ```swift
/// throw RPCError(.notFound, "merchant m1 is not known")
/// ```
public struct RPCError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The status code, never ``RPCStatusCode/ok``.
    public var code: RPCStatusCode
    /// A sentence for humans; sent percent-encoded in `grpc-message`.
    public var message: String
    /// What the server says about retrying the call, sent as `grpc-retry-pushback-ms`
    /// (gRFC A6); `nil`: nothing, the client's retry policy decides.
    public var retryPushback: RetryPushback? = nil

    /// Creates an error.
    /// - Parameters:
    ///   - code: any status but OK.
    ///   - message: what went wrong, for the caller's logs.
    public init(_ code: RPCStatusCode, _ message: String) {
        precondition(code != .ok, "an error needs a status other than OK")
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.name): \(message)" }
}
