import COpenSSL
import NIOCore

/// One connection's `SSL` object between two memory BIOs: ciphertext from the network goes
/// into `inbound`, ciphertext for the network comes out of `outbound`, and the handler moves
/// it to and from the channel. No socket I/O happens here.
///
/// Not `Sendable`: it belongs to one channel's ``TLSHandler`` on that channel's event loop.
final class TLSConnection {
    /// What an `SSL_do_handshake`, `SSL_read` or `SSL_write` left the connection in.
    enum Status {
        case ok
        /// OpenSSL needs more ciphertext from the peer before it can go on.
        case needsInput
        /// The peer sent close_notify.
        case closedByPeer
        case failed(TLSError)
    }

    private let ssl: OpaquePointer
    /// Network → SSL. Owned by `ssl` (`SSL_set_bio`).
    private let inbound: OpaquePointer
    /// SSL → network. Owned by `ssl`.
    private let outbound: OpaquePointer
    let role: TLSContext.Role
    /// Set by the server's ALPN callbacks when they refuse the client; explains the failure.
    var refusal: TLSError?

    /// Creates the `SSL` for one connection from `context`.
    ///
    /// - Parameter serverName: for a client, the name to send as SNI and to verify (an IP
    ///   address is verified against the certificate's IP SANs and not sent).
    init(context: TLSContext, serverName: String?) throws(TLSError) {
        OpenSSLErrorQueue.clear()
        // Each returns NULL only when out of memory.
        guard let ssl = SSL_new(context.pointer) else {
            throw .configuration("cannot create a TLS connection")
        }
        guard let inbound = BIO_new(BIO_s_mem()), let outbound = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw .configuration("cannot create the TLS connection's buffers")
        }
        // An empty BIO means "retry later" (SSL_ERROR_WANT_READ), never end of file.
        cashback_BIO_set_mem_eof_return(inbound, -1)
        cashback_BIO_set_mem_eof_return(outbound, -1)
        SSL_set_bio(ssl, inbound, outbound)
        self.ssl = ssl
        self.inbound = inbound
        self.outbound = outbound
        self.role = context.role
        // The ALPN callbacks find this object through the SSL's application data (index 0).
        SSL_set_ex_data(ssl, 0, Unmanaged.passUnretained(self).toOpaque())
        switch context.role {
        case .server: SSL_set_accept_state(ssl)
        case .client:
            SSL_set_connect_state(ssl)
            try configureClient(serverName: serverName)
        }
    }

    deinit { SSL_free(ssl) }  // frees both BIOs too

    /// The connection that owns `ssl`, from inside an OpenSSL callback.
    static func owning(_ ssl: OpaquePointer) -> TLSConnection? {
        guard let data = SSL_get_ex_data(ssl, 0) else { return nil }
        return Unmanaged<TLSConnection>.fromOpaque(data).takeUnretainedValue()
    }

    private func configureClient(serverName: String?) throws(TLSError) {
        // Returns 0 on success (unlike most of OpenSSL), 1 on failure.
        let list = TLSContext.h2WireList
        guard SSL_set_alpn_protos(ssl, list, UInt32(list.count)) == 0 else {
            throw .configuration("cannot offer ALPN h2")
        }
        guard let serverName else { return }
        if (try? SocketAddress(ipAddress: serverName, port: 0)) != nil {
            // RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted" in SNI. Returns
            // 1 on success, 0 on failure.
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName) == 1 else {
                throw .configuration("cannot verify the server's address \(serverName)")
            }
        } else {
            // Each returns 1 on success, 0 on failure.
            guard cashback_SSL_set_tlsext_host_name(ssl, serverName) == 1,
                SSL_set1_host(ssl, serverName) == 1
            else {
                throw .configuration("cannot use \(serverName) as the server name")
            }
        }
    }

    // MARK: Ciphertext

    /// Hands ciphertext from the network to OpenSSL.
    func receiveCiphertext(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                // A memory BIO takes everything; it returns the count, or -1 when out of memory.
                let count = Int32(clamping: bytes.count - offset)
                let written = BIO_write(inbound, bytes.baseAddress! + offset, count)
                precondition(written > 0, "a memory BIO refused \(count) bytes")
                offset += Int(written)
            }
        }
    }

    /// Ciphertext waiting to go to the network, in bytes.
    var pendingCiphertextBytes: Int { Int(BIO_ctrl_pending(outbound)) }

    /// Moves all pending ciphertext into one new buffer, or returns `nil` when there is none.
    func readCiphertext(allocator: ByteBufferAllocator) -> ByteBuffer? {
        let pending = pendingCiphertextBytes
        guard pending > 0 else { return nil }
        var buffer = allocator.buffer(capacity: pending)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { space in
            // Returns the bytes read; the BIO holds `pending`, so all of them.
            let read = BIO_read(outbound, space.baseAddress, Int32(clamping: pending))
            precondition(Int(read) == pending, "a memory BIO gave \(read) of \(pending) bytes")
            return Int(read)
        }
        return buffer
    }

    /// An upper bound on the plaintext the ciphertext received so far can still yield.
    var pendingPlaintextBytesMax: Int { Int(BIO_ctrl_pending(inbound)) + Int(SSL_pending(ssl)) }

    // MARK: Handshake, read, write, shutdown

    /// Advances the handshake as far as the ciphertext received allows.
    func handshake() -> Status {
        OpenSSLErrorQueue.clear()
        return status(of: SSL_do_handshake(ssl))
    }

    /// The protocol ALPN selected, if any.
    var negotiatedProtocol: String? {
        var name: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &name, &length)
        guard let name, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: name, count: Int(length)), as: UTF8.self)
    }

    /// Decrypts into `buffer`'s writable bytes until it is full or OpenSSL needs more input.
    func readPlaintext(into buffer: inout ByteBuffer) -> Status {
        while buffer.writableBytes > 0 {
            OpenSSLErrorQueue.clear()
            var result: Int32 = 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { space in
                result = SSL_read(ssl, space.baseAddress, Int32(clamping: space.count))
                return max(Int(result), 0)
            }
            guard result > 0 else { return status(of: result) }
        }
        return .ok
    }

    /// Encrypts `buffer`'s readable bytes (moving its reader index past what was taken) until
    /// it is empty or OpenSSL needs input first.
    func writePlaintext(_ buffer: inout ByteBuffer) -> Status {
        while buffer.readableBytes > 0 {
            OpenSSLErrorQueue.clear()
            // With SSL_MODE_ENABLE_PARTIAL_WRITE a success may cover only part of the bytes.
            let result = buffer.withUnsafeReadableBytes { bytes in
                SSL_write(ssl, bytes.baseAddress, Int32(clamping: bytes.count))
            }
            guard result > 0 else { return status(of: result) }
            buffer.moveReaderIndex(forwardBy: Int(result))
        }
        return .ok
    }

    /// Queues close_notify for the peer.
    func shutdown() {
        OpenSSLErrorQueue.clear()
        // Returns 0 (ours sent, the peer's not yet received), 1 (both), or < 0 (failed, e.g.
        // during a handshake): in every case nothing more will be written.
        _ = SSL_shutdown(ssl)
        OpenSSLErrorQueue.clear()
    }

    /// Maps the result of an `SSL_*` I/O call through `SSL_get_error`.
    private func status(of result: Int32) -> Status {
        let error = SSL_get_error(ssl, result)
        // SSL_get_error returns SSL_ERROR_NONE, _ZERO_RETURN (close_notify), _WANT_READ,
        // _WANT_WRITE (not with a memory BIO, which grows), _WANT_CONNECT/_ACCEPT (BIOs we do
        // not use), _WANT_X509_LOOKUP, _WANT_ASYNC(_JOB), _WANT_CLIENT_HELLO_CB (callbacks we
        // do not suspend), _SYSCALL (an I/O error: with memory BIOs, a truncated stream) and
        // _SSL (a protocol failure, reasons queued).
        switch error {
        case SSL_ERROR_NONE: return .ok
        case SSL_ERROR_WANT_READ: return .needsInput
        case SSL_ERROR_ZERO_RETURN: return .closedByPeer
        case SSL_ERROR_SSL: return .failed(failure())
        default:
            let cause = OpenSSLErrorQueue.drain() ?? "SSL_get_error \(error)"
            return .failed(.connectionFailed("the TLS connection failed", cause: cause))
        }
    }

    /// Why the connection failed, in words; the queued OpenSSL reasons as the cause.
    private func failure() -> TLSError {
        let codes = OpenSSLErrorQueue.drainCodes()
        let cause = OpenSSLErrorQueue.describe(codes)
        if let refusal { return refusal }
        if codes.contains(where: { ERR_GET_REASON($0) == SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL }) {
            return .noApplicationProtocol("the server refused ALPN h2")
        }
        let verification = SSL_get_verify_result(ssl)
        if verification != X509_V_OK {
            let whose = role == .client ? "the server's" : "the client's"
            let reason = String(cString: X509_verify_cert_error_string(verification))
            return .handshakeFailed("\(whose) certificate was not accepted: \(reason)", cause: cause)
        }
        if codes.contains(where: { ERR_GET_REASON($0) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE }) {
            return .handshakeFailed(
                "the client sent no certificate, and this server requires one (mutual TLS)",
                cause: cause)
        }
        let cleartextReasons = [SSL_R_WRONG_VERSION_NUMBER, SSL_R_HTTP_REQUEST]
        if role == .server, codes.contains(where: { cleartextReasons.contains(ERR_GET_REASON($0)) }) {
            return .handshakeFailed(
                "the client did not start a TLS handshake (a cleartext client? this server serves "
                    + "TLS only)", cause: cause)
        }
        let reason = codes.last.flatMap { ERR_reason_error_string($0) }.map { String(cString: $0) }
        let what = SSL_is_init_finished(ssl) == 1 ? "the TLS connection" : "the TLS handshake"
        let message = reason.map { "\(what) failed: \($0)" } ?? "\(what) failed"
        if SSL_is_init_finished(ssl) == 1 {
            return .connectionFailed(message, cause: cause)
        }
        return .handshakeFailed(message, cause: cause)
    }
}
