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
