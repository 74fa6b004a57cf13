import COpenSSL
import Testing

/// The OpenSSL wall builds and links: TLS (a later issue) will stand on it.
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
}
