@testable import CashbackClient
import CashbackTestSupport
import H2
import RPC
import Testing

/// The generated client over TLS: calls, and a reconnection that goes through TLS again.
@Suite(.timeLimit(.minutes(1))) struct TLSEndToEndTests {
    @Test func theClientCallsAndReconnectsOverTLS() async throws {
        let certificates = try TestCertificates.shared()
        var limits = RPCLimits.default
        // The idle timer runs from the accept, TLS handshake included (slow under a sanitizer):
        // long enough that a new connection serves its first call, short enough to wait for.
        limits.connectionIdleTimeout = .seconds(3)
        let server = try await TestServer.start(
            limits: limits, tls: try TLSServerCredentials(certificates.server()))
        let client = try await CashbackClient.connect(
            host: "127.0.0.1", port: server.port, tls: certificates.client(), token: server.token)
        #expect(try await client.admin.upsertMerchant(EndToEndTests.merchant).created)
        // The server closes the idle connection; the next call opens a new TLS connection.
        await client.waitUntilDisconnected()
        #expect(try await EndToEndTests.balance(client).availableMinor == 0)
        // At least one reconnection, over TLS.
        let opened = client.connection?.connectionsOpened ?? 0
        #expect(opened >= 2)
        await client.close()
        await server.stop()
    }
}
