import RPC
import Testing

/// Which hosts count as this machine only: the one rule behind `--plaintext`, the development
/// token and the client's refusal to send a token in cleartext.
@Suite struct HostAndPortTests {
    @Test(arguments: [
        ("localhost", true), ("127.0.0.1", true), ("127.1.2.3", true), ("::1", true),
        ("0:0:0:0:0:0:0:1", true), ("::ffff:127.0.0.1", true),
        ("0.0.0.0", false), ("::", false), ("10.0.0.1", false), ("128.0.0.1", false),
        ("::ffff:10.0.0.1", false), ("ledger.internal", false), ("localhost.example", false),
        ("", false),
    ])
    func loopback(_ host: String, _ expected: Bool) {
        #expect(HostAndPort.isLoopback(host) == expected)
    }
}
