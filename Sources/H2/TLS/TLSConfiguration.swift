/// A server's TLS identity and client-certificate policy, as PEM files.
///
/// ```swift
/// let configuration = TLSServerConfiguration(
///     certificateChainPath: "/etc/cashback/cert.pem", privateKeyPath: "/etc/cashback/key.pem")
/// let credentials = try TLSServerCredentials(configuration)
/// let server = try await H2Server.bind(host: "0.0.0.0", port: 50051, router: router,
///                                      tls: credentials)
/// ```
public struct TLSServerConfiguration: Sendable, Hashable {
    /// The certificate chain, leaf first (`SSL_CTX_use_certificate_chain_file`).
    public var certificateChainPath: String
    /// The leaf certificate's private key; it must match the certificate.
    public var privateKeyPath: String
    /// With a CA file, every client must present a certificate that this CA signed (mutual
    /// TLS); without one, no client certificate is asked for.
    public var clientCAPath: String?
    /// How long a client may take to finish the handshake before it is disconnected.
    public var handshakeTimeout: Duration

    /// - Parameters:
    ///   - certificateChainPath: PEM, leaf first.
    ///   - privateKeyPath: PEM, the leaf's key.
    ///   - clientCAPath: PEM CA certificates for client verification (mutual TLS), or `nil`.
    ///   - handshakeTimeout: 10 seconds unless given.
    public init(
        certificateChainPath: String, privateKeyPath: String, clientCAPath: String? = nil,
        handshakeTimeout: Duration = .seconds(10)
    ) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
        self.handshakeTimeout = handshakeTimeout
    }
}

/// How a client connects over TLS: which server certificates it trusts, the name it checks,
/// and its own certificate for mutual TLS.
///
/// ```swift
/// var tls = TLSClientConfiguration(trustRootsPath: "ca.pem")
/// tls.serverName = "ledger.internal"
/// let connection = try await H2ClientConnection.connect(host: "10.0.0.7", port: 50051, tls: tls)
/// ```
public struct TLSClientConfiguration: Sendable, Hashable {
    /// PEM CA certificates to trust; `nil` trusts the system's default roots.
    public var trustRootsPath: String?
    /// The client's certificate chain (PEM, leaf first), for servers that ask for one.
    public var certificateChainPath: String?
    /// The key of ``certificateChainPath``.
    public var privateKeyPath: String?
    /// `false` skips verifying the server's certificate (for self-signed development
    /// certificates): the connection is encrypted but the server is not authenticated.
    public var verifiesServer: Bool
    /// The name sent as SNI and checked against the certificate (a DNS name, or an IP address,
    /// checked against the certificate's IP SANs and not sent as SNI). `nil`: the host
    /// connected to.
    public var serverName: String?
    /// How long the handshake may take after TCP has connected.
    public var handshakeTimeout: Duration

    /// - Parameters:
    ///   - trustRootsPath: PEM CA file, or `nil` for the system's roots.
    ///   - certificateChainPath: the client certificate for mutual TLS, or `nil`.
    ///   - privateKeyPath: its key, or `nil`.
    ///   - verifiesServer: `false` only for development against self-signed certificates.
    ///   - serverName: the name to verify, or `nil` for the host.
    ///   - handshakeTimeout: 10 seconds unless given.
    public init(
        trustRootsPath: String? = nil, certificateChainPath: String? = nil,
        privateKeyPath: String? = nil, verifiesServer: Bool = true, serverName: String? = nil,
        handshakeTimeout: Duration = .seconds(10)
    ) {
        self.trustRootsPath = trustRootsPath
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.verifiesServer = verifiesServer
        self.serverName = serverName
        self.handshakeTimeout = handshakeTimeout
    }
}
