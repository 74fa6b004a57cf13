import ArgumentParser

/// How `cashbackd serve` protects its connections: TLS from PEM files, or, when asked for by
/// name, cleartext h2c (on loopback unless also allowed elsewhere). The checks are
/// ``ResolvedSettings/tlsConfiguration(listeningOn:)``'s, once every source is read.
struct TransportOptions: ParsableArguments {
    @Option(help: "PEM certificate chain, leaf first, to serve TLS (ALPN h2) with; needs --tls-key.")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(
        help: """
            PEM CA certificates for mutual TLS: every client must present a certificate one of \
            them signed.
            """)
    var tlsClientCa: String?

    @Option(
        help: """
            Seconds a client may take to finish the TLS handshake.\
            \(ServeSettings.tlsHandshakeTimeout.defaultNote)
            """)
    var tlsHandshakeTimeout: Int?

    @Flag(
        inversion: .prefixedNo,
        help: """
            Serve cleartext HTTP/2 (h2c with prior knowledge) instead of TLS; loopback \
            addresses only, unless --allow-insecure-remote. (default: TLS)
            """)
    var plaintext: Bool?

    @Flag(
        inversion: .prefixedNo,
        help: "With --plaintext, serve cleartext on an address other than loopback. (default: no)")
    var allowInsecureRemote: Bool?

    /// Records the transport flags given.
    func add(to flags: inout GivenFlags) {
        flags.add(ServeSettings.tlsCert, tlsCert)
        flags.add(ServeSettings.tlsKey, tlsKey)
        flags.add(ServeSettings.tlsClientCa, tlsClientCa)
        flags.add(ServeSettings.tlsHandshakeTimeout, tlsHandshakeTimeout)
        flags.add(ServeSettings.plaintext, plaintext)
        flags.add(ServeSettings.allowInsecureRemote, allowInsecureRemote)
    }
}
