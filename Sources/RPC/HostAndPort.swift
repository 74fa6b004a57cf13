import Foundation

/// A `HOST:PORT` address as given on command lines (`[v6]:PORT` for IPv6).
public struct HostAndPort: Hashable, Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int

    /// An address from its parts.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

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

    /// Whether `host` names this machine only: `localhost`, 127.0.0.0/8 or ::1 (also as an
    /// IPv4-mapped address).
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        let loopback6: [UInt8] = Array(repeating: 0, count: 15) + [1]
        let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xff, 0xff]
        return bytes == loopback6 || (Array(bytes.prefix(12)) == mappedPrefix && bytes[12] == 127)
    }
}

/// An address that cannot be parsed.
public struct HostAndPortError: Error, Hashable, Sendable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "invalid address '\(text)': \(reason)" }
}
