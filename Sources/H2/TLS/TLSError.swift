import COpenSSL

/// Why a TLS connection or context failed.
///
/// The ``message`` says what happened in words an operator can act on; ``cause`` keeps what
/// OpenSSL reported (its error queue, or the certificate verification result).
///
/// ```swift
/// do { _ = try TLSServerCredentials(configuration) } catch let error as TLSError {
///     print(error.message)  // "cannot load the certificate chain /etc/cashback/cert.pem: …"
/// }
/// ```
public struct TLSError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case configuration
        case handshakeFailed
        case noApplicationProtocol
        case handshakeTimedOut
        case closedDuringHandshake
        case connectionFailed
    }

    private let code: Code
    /// What happened, for people.
    public let message: String
    /// What OpenSSL said, when it said anything.
    public let cause: String?

    private init(_ code: Code, _ message: String, cause: String? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        guard let cause, !cause.isEmpty else { return message }
        return "\(message) (\(cause))"
    }

    /// Whether the handshake failed because no side agreed on ALPN `h2`.
    public var isNoApplicationProtocol: Bool { code == .noApplicationProtocol }
    /// Whether the peer took longer than the handshake timeout.
    public var isHandshakeTimeout: Bool { code == .handshakeTimedOut }

    /// A context that cannot be built; the cause is what OpenSSL queued unless given.
    static func configuration(_ message: String, cause: String? = OpenSSLErrorQueue.drain())
        -> TLSError
    {
        TLSError(.configuration, message, cause: cause)
    }

    static func handshakeFailed(_ message: String, cause: String?) -> TLSError {
        TLSError(.handshakeFailed, message, cause: cause)
    }

    static func noApplicationProtocol(_ message: String) -> TLSError {
        TLSError(.noApplicationProtocol, message)
    }

    static func handshakeTimedOut(after timeout: Duration) -> TLSError {
        TLSError(.handshakeTimedOut, "the TLS handshake did not finish within \(timeout)")
    }

    static let closedDuringHandshake = TLSError(
        .closedDuringHandshake, "the peer closed the connection during the TLS handshake")

    static func connectionFailed(_ message: String, cause: String?) -> TLSError {
        TLSError(.connectionFailed, message, cause: cause)
    }
}

/// OpenSSL's per-thread error queue. Every call that can fail is preceded by ``clear()`` so
/// that what ``drain()`` finds belongs to that call.
enum OpenSSLErrorQueue {
    static func clear() { ERR_clear_error() }

    /// The queued error codes, oldest first, and an empty queue.
    static func drainCodes() -> [UInt] {
        var codes: [UInt] = []
        while case let code = ERR_get_error(), code != 0 { codes.append(code) }
        return codes
    }

    /// The queued errors as one line, oldest first, and an empty queue.
    static func drain() -> String? { describe(drainCodes()) }

    /// `codes` as one line (`error:0A000086:SSL routines::certificate verify failed; …`).
    static func describe(_ codes: [UInt]) -> String? {
        let reasons = codes.map { code in
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            return String(decoding: text.prefix { $0 != 0 }.map(UInt8.init), as: UTF8.self)
        }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }
}
