import RPC

extension CashbackClient {
    /// One server the client may call: a host and a port.
    ///
    /// ```swift
    /// let endpoints: [CashbackClient.Endpoint] = [
    ///     .init(host: "ledger-a.internal", port: 50051),
    ///     .init(host: "ledger-b.internal", port: 50051),
    /// ]
    /// ```
    public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
        /// A host name or an IP address.
        public var host: String
        /// The TCP port, 1...65535.
        public var port: Int

        /// Creates an endpoint; ``CashbackClient/connect(endpoints:balancing:tls:limits:connectionBackoff:retryPolicy:token:logger:)``
        /// checks it.
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// `host:port`, or `[v6]:port` for an IPv6 address.
        public var description: String { HostAndPort(host: host, port: port).description }

        /// Checks the host and the port.
        ///
        /// - Parameter argument: how the caller named the endpoint (`endpoints[1]`), or empty
        ///   for the single-endpoint `connect(host:port:…)`.
        /// - Throws: ``RPCError`` INVALID_ARGUMENT naming the argument and its accepted range.
        func check(argument: String) throws(RPCError) {
            try ArgumentCheck.require(
                !host.isEmpty && !host.contains(where: \.isWhitespace), argument,
                "host must be a name or an address, got '\(host)'")
            try ArgumentCheck.require(
                (1...65_535).contains(port), argument, "port must be 1...65535, got \(port)")
        }
    }

    /// How calls are spread over several endpoints.
    public enum LoadBalancing: Hashable, Sendable {
        /// Each call goes to the next endpoint that is up, in turn: the load is spread evenly.
        /// The client connects to every endpoint.
        case roundRobin
        /// Every call goes to the first endpoint, in the order given, that is up: the others
        /// stand by (connected only when needed) and take over while it is down. Calls go back
        /// to an earlier endpoint as soon as it has reconnected.
        case failover
    }
}
