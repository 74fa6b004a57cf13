import NIOConcurrencyHelpers

/// A server's TLS certificate, key and client-certificate policy, loaded from PEM files and
/// reloadable while the server runs.
///
/// A reload builds a new context from the same paths and swaps it in for new connections;
/// open connections keep the context they started with. A reload that fails throws and
/// leaves the current context in place.
///
/// ```swift
/// let credentials = try TLSServerCredentials(
///     TLSServerConfiguration(certificateChainPath: "cert.pem", privateKeyPath: "key.pem"))
/// let server = try await H2Server.bind(host: "0.0.0.0", port: 50051, router: router,
///                                      tls: credentials)
/// // later, on SIGHUP:
/// try credentials.reload()
/// ```
public final class TLSServerCredentials: Sendable {
    /// The files and settings the credentials are loaded from.
    public let configuration: TLSServerConfiguration
    private let current: NIOLockedValueBox<TLSContext>

    /// Loads the certificate chain and key (and the client CA, for mutual TLS).
    ///
    /// - Throws: ``TLSError`` naming the file that cannot be used and why: missing,
    ///   unreadable, not PEM, or a key that does not match the certificate.
    public init(_ configuration: TLSServerConfiguration) throws(TLSError) {
        self.configuration = configuration
        current = NIOLockedValueBox(try TLSContext.server(configuration))
    }

    /// Loads the files again and serves new connections with them.
    ///
    /// - Throws: ``TLSError`` as ``init(_:)`` does; the previous certificate stays in use.
    public func reload() throws(TLSError) {
        let next = try TLSContext.server(configuration)
        current.withLockedValue { $0 = next }
    }

    /// The context new connections start from.
    var context: TLSContext { current.withLockedValue { $0 } }
}
