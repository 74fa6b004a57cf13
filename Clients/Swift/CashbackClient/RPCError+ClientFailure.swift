import RPC

extension RPCError {
    /// `error` as a call reports it: an ``RPCError`` as it is, cancellation as CANCELLED,
    /// anything else (a TLS file that cannot be read at a reconnect) as UNAVAILABLE.
    init(clientFailure error: any Error) {
        switch error {
        case let error as RPCError: self = error
        case is CancellationError: self.init(.cancelled, "the call was cancelled")
        default: self.init(.unavailable, "\(error)")
        }
    }
}
