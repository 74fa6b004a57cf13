import COpenSSL
import Testing

/// The OpenSSL wall builds and links, and its macro wrappers give OpenSSL's values.
@Suite struct OpenSSLShimTests {
    @Test func linksOpenSSL3() {
        #expect(OpenSSL_version_num() >= 0x3000_0000)
    }

    @Test func macroWrappersWork() throws {
        #expect(cashback_TLS1_2_VERSION() == 0x0303)
        let context = try #require(SSL_CTX_new(TLS_server_method()))
        defer { SSL_CTX_free(context) }
        #expect(cashback_SSL_CTX_set_min_proto_version(context, cashback_TLS1_2_VERSION()) == 1)
    }

    @Test func tlsWrappersGiveTheSpecifiedValues() throws {
        // RFC 7301 §3.2: no_application_protocol is alert 120.
        #expect(cashback_SSL_AD_NO_APPLICATION_PROTOCOL() == 120)
        #expect(cashback_SSL_FILETYPE_PEM() == 1)
        let context = try #require(SSL_CTX_new(TLS_client_method()))
        defer { SSL_CTX_free(context) }
        let mode = cashback_SSL_MODE_PARTIAL_MOVING_WRITES()
        #expect(cashback_SSL_CTX_set_mode(context, mode) & mode == mode)
        let ssl = try #require(SSL_new(context))
        defer { SSL_free(ssl) }
        #expect(cashback_SSL_set_tlsext_host_name(ssl, "localhost") == 1)
    }
}
