@testable import CashbackClient
import CashbackCore
@testable import CashbackServer
import CashbackTestSupport
import Testing

/// Bearer tokens over HTTP/2: every method group refuses a missing, unknown, revoked,
/// wrong-scope or other merchant's token, and writes nothing when it does.
@Suite(.timeLimit(.minutes(1))) struct AccessTests {
    static func expectStatus(
        _ code: RPCStatusCode, _ fragment: String = "", _ call: () async throws -> Void,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        await LedgerEndToEndTests.expectStatus(code, fragment, call, sourceLocation: sourceLocation)
    }

    /// One call of each group that would write if it were allowed.
    struct Write: Sendable {
        let group: AccessScope
        let call: @Sendable (CashbackClient) async throws -> Void
    }

    static let writes: [Write] = [
        Write(group: .accrual) { client in
            _ = try await client.accruals.accrue(
                .init(
                    merchantID: "shop-1", orderID: "o-9", memberID: "m1", amountMinor: 10_000,
                    currency: "EUR", orderedAtMs: 1_700_000_000_000))
        },
        Write(group: .wallet) { client in
            _ = try await client.wallet.fileClaim(
                .init(
                    memberID: "m1", merchantID: "shop-1", orderID: "lost-1", amountMinor: 10_000,
                    currency: "EUR", orderedAtMs: 1_700_000_000_000, idempotencyKey: "c-9"))
        },
        Write(group: .payout) { client in
            _ = try await client.payouts.completeWithdrawal(
                .init(withdrawalID: 1, idempotencyKey: "p-9"))
        },
        Write(group: .admin) { client in
            _ = try await client.admin.adjustBalance(
                .init(
                    memberID: "m1", currency: "EUR", amountMinor: 500, reason: "goodwill",
                    idempotencyKey: "a-9"))
        },
    ]

    /// A server with merchant `shop-1` and a requested withdrawal (id 1) of member `m1`.
    static func start() async throws -> (TestServer, CashbackClient) {
        let server = try await TestServer.start()
        let admin = try await CashbackClient.connect(
            host: "127.0.0.1", port: server.port, token: server.token)
        _ = try await admin.admin.upsertMerchant(
            .init(
                merchantID: "shop-1", name: "Shop One", currency: "EUR", shopperRateBps: 500,
                idempotencyKey: "u-1"))
        _ = try await admin.admin.adjustBalance(
            .init(
                memberID: "m1", currency: "EUR", amountMinor: 5_000, reason: "welcome",
                idempotencyKey: "a-1"))
        _ = try await admin.wallet.withdraw(
            .init(
                memberID: "m1", currency: "EUR", amountMinor: 2_000,
                destination: .init(kind: .card, account: "4111111111111111"),
                idempotencyKey: "w-1"))
        return (server, admin)
    }

    static func client(_ server: TestServer, token: String?) async throws -> CashbackClient {
        try await CashbackClient.connect(host: "127.0.0.1", port: server.port, token: token)
    }

    @Test func everyGroupRefusesBadTokensAndWritesNothing() async throws {
        let (server, admin) = try await Self.start()
        let before = try server.ledgerRowCount()
        let revokedToken = try server.makeToken(name: "gone", scopes: Set(AccessScope.allCases))
        _ = try server.ledger.accessTokens.revoke(name: "gone", nowMilliseconds: 1)
        let otherMerchant = try server.makeToken(
            name: "other-shop", scopes: Set(AccessScope.allCases), merchantID: "shop-2")
        let readOnly = try server.makeToken(name: "reader", scopes: [.read])
        let malformed = "cbk_0123456789abcdef_" + String(repeating: "A", count: 43)

        for write in Self.writes {
            let wrongScope = try server.makeToken(
                name: "not-\(write.group)",
                scopes: Set(AccessScope.allCases).subtracting([write.group]))
            let cases: [(String?, RPCStatusCode, String)] = [
                (nil, .unauthenticated, "needs a token"),
                ("not-a-token", .unauthenticated, "Bearer cbk_"),
                (malformed, .unauthenticated, "not known"),
                (revokedToken, .unauthenticated, "revoked"),
                (wrongScope, .permissionDenied, "needs the scope \(write.group)"),
                (readOnly, .permissionDenied, "needs the scope \(write.group)"),
                (otherMerchant, .permissionDenied, "shop-2"),
            ]
            for (token, code, fragment) in cases {
                let client = try await Self.client(server, token: token)
                await Self.expectStatus(code, fragment) { try await write.call(client) }
                await client.close()
            }
        }
        #expect(try server.ledgerRowCount() == before)
        await admin.close()
        await server.stop()
    }

    @Test func scopesGrantTheirGroupAndReadGrantsReads() async throws {
        let (server, admin) = try await Self.start()
        let wallet = try await Self.client(
            server, token: try server.makeToken(name: "app", scopes: [.wallet]))
        _ = try await wallet.wallet.getBalance(.init(memberID: "m1", currency: "EUR"))
        await Self.expectStatus(.permissionDenied, "needs the scope accrual or read") {
            _ = try await wallet.accruals.getAccrual(.init(merchantID: "shop-1", orderID: "o-1"))
        }
        let reader = try await Self.client(
            server, token: try server.makeToken(name: "auditor", scopes: [.read]))
        #expect(try await reader.admin.verify(.init()).ok)
        _ = try await reader.wallet.listHistory(.init(memberID: "m1", currency: "EUR"))
        _ = try await reader.payouts.listWithdrawals(.init())
        _ = try await reader.reflection.listServices(.init())
        await Self.expectStatus(.permissionDenied, "needs the scope admin") {
            _ = try await reader.admin.runExpiry(
                .init(asOfMs: 1_700_000_000_000, idempotencyKey: "e-1"))
        }
        // Health is open; reflection is not.
        let anonymous = try await Self.client(server, token: nil)
        #expect(try await anonymous.checkHealth() == "SERVING")
        await Self.expectStatus(.unauthenticated) {
            _ = try await anonymous.reflection.listServices(.init())
        }
        // The scheme is case-insensitive.
        let lowerCase = CallOptions(metadata: Metadata([("authorization", "bearer \(server.token)")]))
        _ = try await anonymous.wallet.getBalance(
            .init(memberID: "m1", currency: "EUR"), options: lowerCase)
        for client in [wallet, reader, anonymous, admin] { await client.close() }
        await server.stop()
    }

    @Test func aMerchantBoundTokenActsOnlyForItsMerchant() async throws {
        let (server, admin) = try await Self.start()
        let shop = try await Self.client(
            server,
            token: try server.makeToken(
                name: "shop-1-backend", scopes: [.accrual, .wallet], merchantID: "shop-1"))
        _ = try await shop.accruals.accrue(
            .init(
                merchantID: "shop-1", orderID: "o-1", memberID: "m1", amountMinor: 10_000,
                currency: "EUR", orderedAtMs: 1_700_000_000_000))
        await Self.expectStatus(.permissionDenied, "not for merchantId 'shop-2'") {
            _ = try await shop.accruals.confirm(.init(merchantID: "shop-2", orderID: "o-1"))
        }
        await Self.expectStatus(.permissionDenied, "names none") {
            _ = try await shop.wallet.getBalance(.init(memberID: "m1", currency: "EUR"))
        }
        await shop.close()
        await admin.close()
        await server.stop()
    }

    @Test func adminActionsRecordTheTokensName() async throws {
        let (server, admin) = try await Self.start()
        let operations = try await Self.client(
            server, token: try server.makeToken(name: "back-office", scopes: [.admin, .wallet]))
        _ = try await operations.admin.freezeMember(
            .init(memberID: "m1", reason: "chargeback review", idempotencyKey: "f-1"))
        _ = try await operations.admin.unfreezeMember(
            .init(memberID: "m1", actor: "anna", reason: "cleared", idempotencyKey: "f-2"))
        let history = try await operations.wallet.listHistory(
            .init(memberID: "m1", currency: "EUR"))
        let notes = history.entries.map(\.explanation)
        #expect(notes.contains("back-office: chargeback review"))
        #expect(notes.contains("back-office/anna: cleared"))
        #expect(notes.contains("test-admin: welcome"))
        await operations.close()
        await admin.close()
        await server.stop()
    }

    /// Every method of the schema has an access rule that some scope satisfies, and every
    /// read-only entry names a method that exists.
    @Test func everyMethodHasAnAccessRule() {
        let methods = SchemaCatalog.services.flatMap(\.methods).map(\.descriptor)
        for method in methods {
            #expect(MethodAccess.of(method) != .closed, "\(method.path)")
        }
        #expect(MethodAccess.readOnly.isSubset(of: Set(methods.map(\.path))))
        #expect(MethodAccess.of(HealthService.check) == .open)
    }
}
