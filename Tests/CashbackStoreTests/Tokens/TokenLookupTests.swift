import CashbackCore
import CashbackRepository
import Testing
@testable import CashbackStore

@Suite("TokenLookup: tokens from memory while the file is unchanged")
struct TokenLookupTests {
    static func token(_ id: String) throws -> StoredAccessToken {
        StoredAccessToken(
            id: id,
            grant: try AccessGrant(name: "worker-\(id)", scopes: [.accrual], merchantID: nil),
            digest: Array(repeating: 7, count: 32), createdAtMilliseconds: 1,
            revokedAtMilliseconds: nil)
    }

    @Test("a revocation committed by another connection holds for the next request")
    func revocationHoldsForTheNextRequest() async throws {
        try await withTemporaryDirectory { directory in
            let path = ledgerPath(in: directory)
            let repository = try SQLiteLedgerRepository(path: path)
            defer { try? repository.close() }
            let tokens = repository.accessTokens
            try tokens.insert(try Self.token("0123456789abcdef"))
            let lookup = repository.tokenLookup
            let first = try lookup.token(id: "0123456789abcdef", receivedBy: .now)
            #expect(first?.isActive == true)

            // `cashbackd token revoke` beside the server: its own connection.
            let cli = try SQLiteAccessTokens.open(path: path)
            _ = try cli.revoke(name: "worker-0123456789abcdef", nowMilliseconds: 2)
            try cli.close()

            let next = try lookup.token(id: "0123456789abcdef", receivedBy: .now)
            #expect(next?.isActive == false)
        }
    }

    @Test("a request received before the last check shares it; a later one checks again")
    func requestsReceivedBeforeACheckShareIt() async throws {
        try await withTemporaryDirectory { directory in
            let path = ledgerPath(in: directory)
            let repository = try SQLiteLedgerRepository(path: path)
            defer { try? repository.close() }
            try repository.accessTokens.insert(try Self.token("0123456789abcdef"))
            let lookup = repository.tokenLookup
            let receivedEarly = ContinuousClock.now
            _ = try lookup.token(id: "0123456789abcdef", receivedBy: .now)  // checks
            let cli = try SQLiteAccessTokens.open(path: path)
            _ = try cli.revoke(name: "worker-0123456789abcdef", nowMilliseconds: 2)
            try cli.close()

            // Sent before the revocation was committed: either answer is right; this one is
            // answered from the check it shares.
            #expect(try lookup.token(id: "0123456789abcdef", receivedBy: receivedEarly)?.isActive == true)
            #expect(try lookup.token(id: "0123456789abcdef", receivedBy: nil)?.isActive == false)
            #expect(try lookup.token(id: "unknown", receivedBy: .now) == nil)
        }
    }
}
