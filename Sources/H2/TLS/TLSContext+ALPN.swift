import COpenSSL

/// ALPN on the server: `h2` or nothing (RFC 9113 §3.2; RFC 7301 §3.2 names the alert).
///
/// OpenSSL calls the ALPN callback only when the client sent the extension, and then answers
/// a refusal with `no_application_protocol`. A client that sends no ALPN at all would
/// otherwise get a connection, so the ClientHello callback refuses it with the same alert.
extension TLSContext {
    /// The one protocol the server speaks, as it appears on the wire.
    static let h2 = "h2"

    func requireApplicationProtocolH2() {
        SSL_CTX_set_client_hello_cb(pointer, { ssl, alert, _ in
            guard let ssl, let alert else { return SSL_CLIENT_HELLO_ERROR }
            var extensionBytes: UnsafePointer<UInt8>?
            var extensionLength = 0
            // Returns 1 when the ClientHello carries the extension, 0 when it does not.
            let offered = SSL_client_hello_get0_ext(
                ssl, UInt32(TLSEXT_TYPE_application_layer_protocol_negotiation),
                &extensionBytes, &extensionLength)
            guard offered == 1 else {
                TLSConnection.owning(ssl)?.refusal =
                    .noApplicationProtocol("it offered no ALPN protocol; h2 is required")
                alert.pointee = cashback_SSL_AD_NO_APPLICATION_PROTOCOL()
                return SSL_CLIENT_HELLO_ERROR
            }
            return SSL_CLIENT_HELLO_SUCCESS
        }, nil)

        SSL_CTX_set_alpn_select_cb(pointer, { ssl, out, outLength, offered, offeredLength, _ in
            guard let ssl, let out, let outLength, let offered else {
                return SSL_TLSEXT_ERR_ALERT_FATAL
            }
            let list = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
            let names = TLSContext.protocolNames(inWireList: list)
            guard let h2 = names.first(where: { $0.name == TLSContext.h2 }) else {
                let shown = names.map(\.name).joined(separator: ", ")
                TLSConnection.owning(ssl)?.refusal =
                    .noApplicationProtocol("it offered ALPN \(shown), not h2")
                return SSL_TLSEXT_ERR_ALERT_FATAL
            }
            // `out` points into the client's list, which OpenSSL keeps for the handshake.
            out.pointee = offered + h2.offset
            outLength.pointee = UInt8(TLSContext.h2.utf8.count)
            return SSL_TLSEXT_ERR_OK
        }, nil)
    }

    /// The names of an ALPN protocol list (each a length byte, then the name), with the offset
    /// of each name; a truncated last entry is left out.
    static func protocolNames(inWireList list: UnsafeBufferPointer<UInt8>)
        -> [(name: String, offset: Int)]
    {
        var names: [(name: String, offset: Int)] = []
        var index = 0
        while index < list.count {
            let length = Int(list[index])
            let start = index + 1
            guard start + length <= list.count else { break }
            let name = String(decoding: list[start..<start + length], as: UTF8.self)
            names.append((name, start))
            index = start + length
        }
        return names
    }

    /// `h2` as an ALPN wire list, for `SSL_set_alpn_protos`.
    static let h2WireList: [UInt8] = [UInt8(h2.utf8.count)] + Array(h2.utf8)
}
