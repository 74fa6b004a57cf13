/// A `HOST:PORT` address as given on command lines (`[v6]:PORT` for IPv6).
public struct HostAndPort: Hashable, Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int

    /// Parses `HOST:PORT`.
    ///
    /// - Throws: ``HostAndPortError`` naming what is wrong.
    public init(parsing text: String) throws(HostAndPortError) {
        guard let colon = text.lastIndex(of: ":") else {
            throw HostAndPortError(text: text, reason: "expected HOST:PORT")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw HostAndPortError(text: text, reason: "missing host") }
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw HostAndPortError(text: text, reason: "port must be 0...65535")
        }
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// An address that cannot be parsed.
public struct HostAndPortError: Error, Hashable, Sendable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "invalid address '\(text)': \(reason)" }
}
