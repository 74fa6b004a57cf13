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
        // Long enough that connecting never races the timer; the test waits for the close.
        limits.connectionIdleTimeout = .seconds(1)
        let server = try await TestServer.start(
            limits: limits, tls: try TLSServerCredentials(certificates.server()))
        let client = try await CashbackClient.connect(
            host: "127.0.0.1", port: server.port, tls: certificates.client(), token: server.token)
        #expect(try await client.admin.upsertMerchant(EndToEndTests.merchant).created)
        // The server closes the idle connection; the next call opens a new TLS connection.
        await client.waitUntilDisconnected()
        #expect(try await EndToEndTests.balance(client).availableMinor == 0)
        // The first and one more; on a loaded machine the 1 s idle timer may also close a new
        // connection before its first call, which the client then sends on another.
        let opened = await client.connection?.connectionsOpened ?? 0
        #expect((2...1 + ReconnectingTransport.attemptsMax).contains(opened))
        await client.close()
        await server.stop()
    }
}
