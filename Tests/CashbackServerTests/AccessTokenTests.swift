import CashbackCore
@testable import CashbackServer
import Testing

/// The token format and its cryptography, and the scope list, as tables.
@Suite struct AccessTokenTests {
    @Test func digestIsSHA256() {
        // FIPS 180-2, appendix B.1.
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        let digest = AccessToken.digest("abc")
        #expect(digest.map { String($0, radix: 16).leftPadded(to: 2) }.joined() == expected)
    }

    @Test func generatedTokensParseAndMatchOnlyThemselves() throws {
        let grant = try AccessGrant(name: "shop", scopes: [.accrual], merchantID: "shop-1")
        let (token, stored) = try AccessToken.generate(grant: grant, nowMilliseconds: 5)
        let (other, _) = try AccessToken.generate(grant: grant, nowMilliseconds: 5)
        #expect(token.count == 64 && token.hasPrefix("cbk_"))
        #expect(AccessToken.id(of: token) == stored.id)
        #expect(token != other && stored.digest.count == 32)
        #expect(AccessToken.matches(token, digest: stored.digest))
        #expect(!AccessToken.matches(other, digest: stored.digest))
        #expect(stored.isActive && stored.grant == grant)
    }

    @Test(arguments: [
        "", "cbk_", "Bearer cbk_0123456789abcdef_" + String(repeating: "A", count: 43),
        "cbk_0123456789ABCDEF_" + String(repeating: "A", count: 43),
        "cbk_0123456789abcdef-" + String(repeating: "A", count: 43),
        "cbk_0123456789abcdef_" + String(repeating: "A", count: 42),
        "cbk_0123456789abcdef_" + String(repeating: "A", count: 42) + "=",
        "cbx_0123456789abcdef_" + String(repeating: "A", count: 43),
    ])
    func malformedTokensHaveNoID(_ token: String) {
        #expect(AccessToken.id(of: token) == nil)
    }

    /// The `authorization` value as received: the scheme `Bearer` in any case, one space, the
    /// token; nothing else, and nothing over 256 bytes.
    @Test(arguments: [
        ("Bearer cbk_x", "cbk_x"),
        ("bearer cbk_x", "cbk_x"),
        ("BEARER cbk_x", "cbk_x"),
        ("bEaReR cbk_x", "cbk_x"),
        ("Bearer  cbk_x", " cbk_x"),  // the token then starts with a space: no id
        ("Bearer " + String(repeating: "t", count: 249), String(repeating: "t", count: 249)),
        ("Bearer " + String(repeating: "t", count: 250), nil),
        ("Bearer ", nil),
        ("Bearer", nil),
        ("Bearercbk_x", nil),
        ("Bearer\tcbk_x", nil),
        ("Basic cbk_x", nil),
        ("Bearez cbk_x", nil),
        ("Bearer\u{0}cbk_x", nil),
        ("\u{2}earer cbk_x", nil),  // 0x02 | 0x20 is 0x22, not "b"
        ("", nil),
    ] as [(String, String?)])
    func bearerValues(_ value: String, _ token: String?) {
        let found = AccessToken.bearer(ArraySlice(value.utf8))
        #expect(found.map { String(decoding: $0, as: UTF8.self) } == token)
    }

    @Test func tokensGivenAsBytesParseAndMatchAsStrings() throws {
        let grant = try AccessGrant(name: "shop", scopes: [.wallet], merchantID: nil)
        let (token, stored) = try AccessToken.generate(grant: grant, nowMilliseconds: 1)
        let header = ArraySlice(("Bearer " + token).utf8)
        let presented = try #require(AccessToken.bearer(header))
        #expect(AccessToken.id(of: presented) == stored.id)
        #expect(AccessToken.matches(presented, digest: stored.digest))
        #expect(!AccessToken.matches(presented.dropLast(), digest: stored.digest))
        #expect(!AccessToken.matches(presented, digest: Array(stored.digest.dropLast())))
    }

    @Test func scopeLists() throws {
        #expect(try AccessScope.parseList("read,accrual") == [.read, .accrual])
        #expect(try AccessScope.parseList(" wallet , payout") == [.wallet, .payout])
        #expect(AccessScope.list([.read, .admin, .accrual]) == "accrual,admin,read")
        #expect(throws: LedgerRejection.self) { try AccessScope.parseList("accrual,") }
        #expect(throws: LedgerRejection.self) { try AccessScope.parseList("Admin") }
        #expect(throws: LedgerRejection.self) { try AccessGrant(name: "x", scopes: [], merchantID: nil) }
        #expect(throws: LedgerRejection.self) {
            try AccessGrant(name: "x", scopes: [.read], merchantID: "has space")
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
