import ArgumentParser
import Foundation
import H2
import RPC

/// How `cashbackd serve` protects its connections: TLS from PEM files, or, when asked for by
/// name, cleartext h2c (on loopback unless also allowed elsewhere).
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

    @Option(help: "Seconds a client may take to finish the TLS handshake.")
    var tlsHandshakeTimeout = 10

    @Flag(
        help: """
            Serve cleartext HTTP/2 (h2c with prior knowledge) instead of TLS; loopback \
            addresses only, unless --allow-insecure-remote.
            """)
    var plaintext = false

    @Flag(help: "With --plaintext, serve cleartext on an address other than loopback.")
    var allowInsecureRemote = false

    /// The TLS configuration, or `nil` for cleartext; every mistake is a start error that names
    /// the flag to add or remove.
    func tlsConfiguration(listeningOn host: String) throws -> TLSServerConfiguration? {
        guard (1...300).contains(tlsHandshakeTimeout) else {
            throw ValidationError("--tls-handshake-timeout must be 1...300 seconds")
        }
        if plaintext {
            guard tlsCert == nil, tlsKey == nil, tlsClientCa == nil else {
                throw ValidationError(
                    "--plaintext serves cleartext: leave out --tls-cert, --tls-key and "
                        + "--tls-client-ca, or leave out --plaintext to serve TLS")
            }
            guard allowInsecureRemote || HostAndPort.isLoopback(host) else {
                throw ValidationError(
                    "--plaintext on \(host), which is not a loopback address, would send "
                        + "everything in the clear: add --allow-insecure-remote to do it anyway, "
                        + "or serve TLS with --tls-cert PEM --tls-key PEM")
            }
            return nil
        }
        guard !allowInsecureRemote else {
            throw ValidationError("--allow-insecure-remote applies only with --plaintext")
        }
        guard let tlsCert, let tlsKey else {
            if tlsCert == nil, tlsKey == nil {
                throw ValidationError(
                    "no transport chosen: serve TLS with --tls-cert PEM --tls-key PEM, or "
                        + "cleartext h2c on loopback with --plaintext")
            }
            throw ValidationError("--tls-cert and --tls-key go together: give both")
        }
        return TLSServerConfiguration(
            certificateChainPath: tlsCert, privateKeyPath: tlsKey, clientCAPath: tlsClientCa,
            handshakeTimeout: .seconds(tlsHandshakeTimeout))
    }
}
