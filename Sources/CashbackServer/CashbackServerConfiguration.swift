import RPC

/// Where and how the server serves.
public struct CashbackServerConfiguration: Sendable {
    /// The host to listen on; loopback unless configured (cleartext is for loopback).
    public var host: String
    /// The port; 0 picks a free one.
    public var port: Int
    /// The SQLite database file; created with its schema when missing.
    public var databasePath: String
    /// Bounds on connections and messages.
    public var limits: RPCLimits
    /// How long calls in flight may take to finish on shutdown.
    public var shutdownGracePeriod: Duration

    /// The embedded default: `127.0.0.1:50051`, `./cashback.sqlite`.
    public static let `default` = CashbackServerConfiguration(
        host: "127.0.0.1", port: 50051, databasePath: "./cashback.sqlite")

    public init(
        host: String, port: Int, databasePath: String, limits: RPCLimits = .default,
        shutdownGracePeriod: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.databasePath = databasePath
        self.limits = limits
        self.shutdownGracePeriod = shutdownGracePeriod
    }

    /// Parses `HOST:PORT` (`[v6]:PORT` for IPv6).
    ///
    /// - Throws: a message naming what is wrong with the address.
    public static func parseListenAddress(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":") else {
            throw ListenAddressError(text: text, reason: "expected HOST:PORT")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ListenAddressError(text: text, reason: "missing host") }
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ListenAddressError(text: text, reason: "port must be 0...65535")
        }
        return (host, port)
    }
}

/// A listen address that cannot be parsed.
public struct ListenAddressError: Error, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "invalid listen address '\(text)': \(reason)" }
}
