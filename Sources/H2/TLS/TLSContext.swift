import COpenSSL

/// One configured `SSL_CTX`: the settings every connection of a server (or one client
/// connection) starts from.
///
/// `@unchecked Sendable` because a server shares it across event loops: it is never changed
/// after `init`, and OpenSSL documents a configured `SSL_CTX` as safe to create `SSL` objects
/// from on any thread (it counts its references under its own lock). A reload builds a new
/// context instead of changing this one.
final class TLSContext: @unchecked Sendable {
    enum Role { case server, client }

    let pointer: OpaquePointer
    let role: Role
    let handshakeTimeout: Duration

    private init(role: Role, handshakeTimeout: Duration) throws(TLSError) {
        OpenSSLErrorQueue.clear()
        let method = role == .server ? TLS_server_method() : TLS_client_method()
        guard let pointer = SSL_CTX_new(method) else {
            throw .configuration("cannot create a TLS context")
        }
        self.pointer = pointer
        self.role = role
        self.handshakeTimeout = handshakeTimeout
        // TLS 1.2 and 1.3 only (RFC 9113 §9.2: HTTP/2 over TLS needs 1.2 or later). Returns 1,
        // or 0 for a version this OpenSSL does not know (a bug).
        precondition(
            cashback_SSL_CTX_set_min_proto_version(pointer, cashback_TLS1_2_VERSION()) == 1,
            "OpenSSL refused TLS 1.2 as the minimum version")
        // No renegotiation (RFC 9113 §9.2.1 forbids it after the preface), no compression.
        _ = SSL_CTX_set_options(pointer, cashback_SSL_OP_HARDENED())
        // SSL_write may stop after some records; the handler carries on with the rest.
        _ = cashback_SSL_CTX_set_mode(pointer, cashback_SSL_MODE_PARTIAL_MOVING_WRITES())
        // TLS 1.2 with forward secrecy and AEAD only: OpenSSL's default list also takes static
        // RSA key exchange and CBC suites, which RFC 9113 §9.2.2 (Appendix A) tells HTTP/2 not
        // to use. TLS 1.3's suites are all of that kind and stay as they are. Returns 1 when
        // the list names at least one suite this OpenSSL has.
        precondition(
            SSL_CTX_set_cipher_list(pointer, Self.tls12Ciphers) == 1,
            "OpenSSL knows none of the TLS 1.2 cipher suites \(Self.tls12Ciphers)")
    }

    /// The TLS 1.2 cipher suites offered and accepted: ECDHE key exchange with AES-GCM or
    /// ChaCha20-Poly1305, as OpenSSL orders them.
    static let tls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20"

    deinit { SSL_CTX_free(pointer) }

    /// A server context: certificate chain and key from `configuration`, ALPN `h2` required,
    /// client certificates verified when a client CA is configured.
    ///
    /// - Throws: ``TLSError`` naming the file that cannot be used and why.
    static func server(_ configuration: TLSServerConfiguration) throws(TLSError) -> TLSContext {
        let context = try TLSContext(role: .server, handshakeTimeout: configuration.handshakeTimeout)
        try context.useIdentity(
            chain: configuration.certificateChainPath, key: configuration.privateKeyPath)
        if let clientCAPath = configuration.clientCAPath {
            try context.requireClientCertificates(signedBy: clientCAPath)
        }
        // No session resumption, in either version: gRPC clients keep their connections, so a
        // resumed handshake would save little, and with client certificates OpenSSL refuses to
        // resume a session without a session id context (the client saw "internal error" on
        // every reconnection). TLS 1.3: no tickets (returns 1 always). TLS 1.2: no tickets and
        // no session cache, so a client offering a session gets a full handshake. The context
        // is set all the same, so that nothing could resume a session across servers.
        _ = SSL_CTX_set_num_tickets(context.pointer, 0)
        _ = SSL_CTX_set_options(context.pointer, cashback_SSL_OP_NO_TICKET())
        _ = cashback_SSL_CTX_set_session_cache_off(context.pointer)
        let sessionContext = Array("cashbackd".utf8)
        // Returns 1, or 0 for a context longer than 32 bytes.
        precondition(
            SSL_CTX_set_session_id_context(
                context.pointer, sessionContext, UInt32(sessionContext.count)) == 1,
            "a session id context longer than 32 bytes")
        context.requireApplicationProtocolH2()
        return context
    }

    /// A client context: trust roots (the system's unless a CA file is given), verification
    /// unless turned off, and the client's own certificate when given.
    ///
    /// - Throws: ``TLSError`` naming the file that cannot be used and why.
    static func client(_ configuration: TLSClientConfiguration) throws(TLSError) -> TLSContext {
        let context = try TLSContext(role: .client, handshakeTimeout: configuration.handshakeTimeout)
        if configuration.verifiesServer {
            try context.trust(rootsAt: configuration.trustRootsPath)
            SSL_CTX_set_verify(context.pointer, SSL_VERIFY_PEER, nil)
        } else {
            SSL_CTX_set_verify(context.pointer, SSL_VERIFY_NONE, nil)
        }
        switch (configuration.certificateChainPath, configuration.privateKeyPath) {
        case (let chain?, let key?): try context.useIdentity(chain: chain, key: key)
        case (nil, nil): break
        default: throw .configuration("a client certificate needs both its chain and its key")
        }
        return context
    }

    // MARK: Files

    private func useIdentity(chain: String, key: String) throws(TLSError) {
        // Each returns 1 on success and 0 on failure, with the reason queued.
        OpenSSLErrorQueue.clear()
        guard SSL_CTX_use_certificate_chain_file(pointer, chain) == 1 else {
            throw .configuration("cannot load the certificate chain \(chain)")
        }
        guard SSL_CTX_use_PrivateKey_file(pointer, key, cashback_SSL_FILETYPE_PEM()) == 1 else {
            let codes = OpenSSLErrorQueue.drainCodes()
            let cause = OpenSSLErrorQueue.describe(codes)
            // OpenSSL compares the key with the certificate as it loads it.
            if codes.contains(where: { ERR_GET_REASON($0) == X509_R_KEY_VALUES_MISMATCH }) {
                throw .configuration(
                    "the private key \(key) does not match the certificate \(chain)", cause: cause)
            }
            throw .configuration("cannot load the private key \(key)", cause: cause)
        }
        guard SSL_CTX_check_private_key(pointer) == 1 else {
            throw .configuration("the private key \(key) does not match the certificate \(chain)")
        }
    }

    private func requireClientCertificates(signedBy caPath: String) throws(TLSError) {
        OpenSSLErrorQueue.clear()
        // Returns 1 on success, 0 on failure.
        guard SSL_CTX_load_verify_file(pointer, caPath) == 1 else {
            throw .configuration("cannot load the client CA file \(caPath)")
        }
        // The names sent in CertificateRequest, so a client can pick its certificate. Returns
        // NULL on failure; the context takes ownership of the list.
        guard let names = SSL_load_client_CA_file(caPath) else {
            throw .configuration("no CA certificate in the client CA file \(caPath)")
        }
        SSL_CTX_set_client_CA_list(pointer, names)
        SSL_CTX_set_verify(pointer, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
    }

    private func trust(rootsAt path: String?) throws(TLSError) {
        OpenSSLErrorQueue.clear()
        guard let path else {
            // Returns 1 on success, 0 on failure.
            guard SSL_CTX_set_default_verify_paths(pointer) == 1 else {
                throw .configuration("cannot load the system's trusted certificates")
            }
            return
        }
        guard SSL_CTX_load_verify_file(pointer, path) == 1 else {
            throw .configuration("cannot load the CA file \(path)")
        }
    }
}
