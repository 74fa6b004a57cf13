@testable import CashbackClient
import CashbackTestSupport
import Testing

/// The wallet, payout and member methods over HTTP/2 with the generated client.
@Suite(.timeLimit(.minutes(1))) struct WalletEndToEndTests {
    static func earn(_ client: CashbackClient, order: String, amount: Int64) async throws {
        _ = try await client.accruals.accrue(
            .init(
                merchantID: "shop-1", orderID: order, memberID: "m1", amountMinor: amount,
                currency: "EUR", orderedAtMs: 1_700_000_000_000))
        _ = try await client.accruals.confirm(.init(merchantID: "shop-1", orderID: order))
    }

    static func expectStatus(
        _ code: RPCStatusCode, _ fragment: String, _ call: () async throws -> Void,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        await LedgerEndToEndTests.expectStatus(code, fragment, call, sourceLocation: sourceLocation)
    }

    /// A server with merchant `shop-1` (500 bps, cashback expires after `expiryDays`), and a
    /// client connected to it.
    static func start(expiryDays: UInt32 = 0) async throws -> (TestServer, CashbackClient) {
        let server = try await TestServer.start()
        let client = try await CashbackClient.connect(host: "127.0.0.1", port: server.port, token: server.token)
        _ = try await client.admin.upsertMerchant(
            .init(
                merchantID: "shop-1", name: "Shop One", currency: "EUR", shopperRateBps: 500,
                cashbackExpiryDays: expiryDays, idempotencyKey: "u-1"))
        return (server, client)
    }

    @Test func redeemWithdrawPayoutsFreezeExpire() async throws {
        let (server, client) = try await Self.start(expiryDays: 30)
        try await Self.earn(client, order: "o-1", amount: 100_000)  // 5 000 available

        var balance = try await client.wallet.getBalance(.init(memberID: "m1", currency: "EUR"))
        #expect(balance.availableMinor == 5_000 && balance.nextExpiryMinor == 5_000)
        #expect(balance.nextExpiryAtMs > 0)

        let redeemed = try await client.wallet.redeem(
            .init(memberID: "m1", currency: "EUR", amountMinor: 700, idempotencyKey: "r-1",
                  purchaseRef: "cart-9"))
        #expect(redeemed.availableMinor == 4_300)
        let refunded = try await client.wallet.refundRedemption(
            .init(redemptionID: redeemed.redemptionID, amountMinor: 200, idempotencyKey: "f-1"))
        #expect(refunded.refundedMinor == 200 && refunded.availableMinor == 4_500)

        let withdrawn = try await client.wallet.withdraw(
            .init(
                memberID: "m1", currency: "EUR", amountMinor: 2_000,
                destination: .init(kind: .card, account: "4111111111111111"),
                idempotencyKey: "w-1"))
        #expect(withdrawn.state == .reserved)
        #expect(withdrawn.withdrawal?.destination?.account == "************1111")
        let second = try await client.wallet.withdraw(
            .init(
                memberID: "m1", currency: "EUR", amountMinor: 1_000,
                destination: .init(kind: .phone, account: "+4915112345678"),
                idempotencyKey: "w-2"))

        let reserved = try await client.payouts.listWithdrawals(.init(state: .reserved, pageSize: 1))
        #expect(reserved.withdrawals.map(\.withdrawalID) == [withdrawn.withdrawalID])
        #expect(!reserved.nextPageToken.isEmpty)
        let rest = try await client.payouts.listWithdrawals(
            .init(state: .reserved, pageSize: 1, pageToken: reserved.nextPageToken))
        #expect(rest.withdrawals.map(\.withdrawalID) == [second.withdrawalID])
        #expect(rest.withdrawals.first?.destination?.account == "**********5678")

        let completed = try await client.payouts.completeWithdrawal(
            .init(withdrawalID: withdrawn.withdrawalID, idempotencyKey: "c-1"))
        #expect(completed.state == .completed)
        let failed = try await client.payouts.failWithdrawal(
            .init(withdrawalID: second.withdrawalID, reason: "number not reachable",
                  idempotencyKey: "x-1"))
        #expect(failed.state == .failed && failed.failureReason == "number not reachable")

        balance = try await client.wallet.getBalance(.init(memberID: "m1", currency: "EUR"))
        #expect(balance.availableMinor == 2_500 && balance.reservedMinor == 0)
        #expect(balance.spentMinor == 700 && balance.withdrawnMinor == 2_000)

        let frozen = try await client.admin.freezeMember(
            .init(memberID: "m1", actor: "ops-1", reason: "chargeback review", idempotencyKey: "z-1"))
        #expect(frozen.frozen)
        await Self.expectStatus(.failedPrecondition, "frozen") {
            _ = try await client.wallet.redeem(
                .init(memberID: "m1", currency: "EUR", amountMinor: 1, idempotencyKey: "r-2"))
        }
        _ = try await client.admin.unfreezeMember(
            .init(memberID: "m1", actor: "ops-2", reason: "cleared", idempotencyKey: "z-2"))

        // Everything left expires 30 days after confirmation.
        let run = try await client.admin.runExpiry(
            .init(asOfMs: balance.nextExpiryAtMs, idempotencyKey: "e-1"))
        #expect(run.expiredLots == 1 && !run.more)
        balance = try await client.wallet.getBalance(.init(memberID: "m1", currency: "EUR"))
        #expect(balance.availableMinor == 0 && balance.expiredMinor == 2_500)
        #expect(try await client.admin.verify(.init()).ok)
        await client.close()
        await server.stop()
    }

    @Test func walletErrorsTravelAsStatuses() async throws {
        let (server, client) = try await Self.start()
        try await Self.earn(client, order: "o-1", amount: 40_000)  // 2 000 available
        let wallet = client.wallet
        let payouts = client.payouts

        await Self.expectStatus(.failedPrecondition, "has 2000 EUR available") {
            _ = try await wallet.redeem(
                .init(memberID: "m1", currency: "EUR", amountMinor: 2_001, idempotencyKey: "r-1"))
        }
        await Self.expectStatus(.invalidArgument, "idempotencyKey") {
            _ = try await wallet.redeem(.init(memberID: "m1", currency: "EUR", amountMinor: 1))
        }
        await Self.expectStatus(.invalidArgument, "withdrawal minimum") {
            _ = try await wallet.withdraw(
                .init(
                    memberID: "m1", currency: "EUR", amountMinor: 999,
                    destination: .init(kind: .card, account: "4111111111111111"),
                    idempotencyKey: "w-1"))
        }
        await Self.expectStatus(.invalidArgument, "check digit") {
            _ = try await wallet.withdraw(
                .init(
                    memberID: "m1", currency: "EUR", amountMinor: 1_000,
                    destination: .init(kind: .card, account: "4111111111111112"),
                    idempotencyKey: "w-2"))
        }
        await Self.expectStatus(.invalidArgument, "destination is missing") {
            _ = try await wallet.withdraw(
                .init(memberID: "m1", currency: "EUR", amountMinor: 1_000, idempotencyKey: "w-3"))
        }
        await Self.expectStatus(.notFound, "no redemption 9") {
            _ = try await wallet.refundRedemption(
                .init(redemptionID: 9, amountMinor: 1, idempotencyKey: "f-1"))
        }
        await Self.expectStatus(.notFound, "no withdrawal 9") {
            _ = try await payouts.completeWithdrawal(.init(withdrawalID: 9, idempotencyKey: "c-1"))
        }
        await Self.expectStatus(.invalidArgument, "reason") {
            _ = try await payouts.failWithdrawal(.init(withdrawalID: 9, idempotencyKey: "c-2"))
        }
        await Self.expectStatus(.invalidArgument, "pageSize") {
            _ = try await payouts.listWithdrawals(.init(pageSize: 501))
        }
        await Self.expectStatus(.invalidArgument, "pageToken") {
            _ = try await payouts.listWithdrawals(.init(pageToken: "abc"))
        }
        await Self.expectStatus(.invalidArgument, "asOfMs") {
            _ = try await client.admin.runExpiry(.init(idempotencyKey: "e-1"))
        }
        await Self.expectStatus(.invalidArgument, "reason") {
            _ = try await client.admin.freezeMember(.init(memberID: "m1", idempotencyKey: "z-1"))
        }
        let withdrawal = try await wallet.withdraw(
            .init(
                memberID: "m1", currency: "EUR", amountMinor: 1_000,
                destination: .init(kind: .ewallet, account: "member@example.com"),
                idempotencyKey: "w-4"))
        _ = try await payouts.completeWithdrawal(
            .init(withdrawalID: withdrawal.withdrawalID, idempotencyKey: "c-3"))
        await Self.expectStatus(.failedPrecondition, "already completed") {
            _ = try await payouts.failWithdrawal(
                .init(withdrawalID: withdrawal.withdrawalID, reason: "late", idempotencyKey: "c-4"))
        }
        #expect(try await client.admin.verify(.init()).ok)
        await client.close()
        await server.stop()
    }

    @Test func claimsAndManualAdjustments() async throws {
        let (server, client) = try await Self.start()
        let claim = try await client.wallet.fileClaim(
            .init(
                memberID: "m1", merchantID: "shop-1", orderID: "lost-7", amountMinor: 10_000,
                currency: "EUR", orderedAtMs: 1_700_000_000_000,
                details: "order confirmation mail of 14 Nov", idempotencyKey: "claim-1"))
        #expect(claim.state == .pending)
        await Self.expectStatus(.alreadyExists, "already claimed") {
            _ = try await client.wallet.fileClaim(
                .init(
                    memberID: "m1", merchantID: "shop-1", orderID: "lost-7", amountMinor: 10_000,
                    currency: "EUR", orderedAtMs: 1_700_000_000_000, idempotencyKey: "claim-2"))
        }
        let pending = try await client.admin.listClaims(.init(state: .pending))
        #expect(pending.claims.map(\.claimID) == [claim.claimID])
        #expect(pending.nextPageToken.isEmpty)

        let approved = try await client.admin.approveClaim(
            .init(claimID: claim.claimID, actor: "ops-anna", reason: "mail checked",
                  idempotencyKey: "approve-1"))
        #expect(approved.state == .approved && approved.accrualID > 0)
        await Self.expectStatus(.failedPrecondition, "already approved") {
            _ = try await client.admin.rejectClaim(
                .init(claimID: claim.claimID, actor: "ops-anna", reason: "no", idempotencyKey: "r-1"))
        }
        await Self.expectStatus(.notFound, "no claim 99") {
            _ = try await client.admin.approveClaim(
                .init(claimID: 99, actor: "ops-anna", reason: "x", idempotencyKey: "a-9"))
        }
        let accrual = try await client.accruals.getAccrual(.init(merchantID: "shop-1", orderID: "lost-7"))
        #expect(accrual.accrualID == approved.accrualID && accrual.cashbackMinor == 500)

        let credited = try await client.admin.adjustBalance(
            .init(memberID: "m1", currency: "EUR", amountMinor: 250, actor: "ops-anna",
                  reason: "goodwill", idempotencyKey: "adj-1"))
        #expect(credited.availableMinor == 250)
        await Self.expectStatus(.failedPrecondition, "would overdraw") {
            _ = try await client.admin.adjustBalance(
                .init(memberID: "m1", currency: "EUR", amountMinor: -251, actor: "ops-anna",
                      reason: "oops", idempotencyKey: "adj-2"))
        }
        await Self.expectStatus(.invalidArgument, "amountMinor") {
            _ = try await client.admin.adjustBalance(
                .init(memberID: "m1", currency: "EUR", actor: "ops-anna", reason: "zero",
                      idempotencyKey: "adj-3"))
        }
        // The history shows it all, newest first; the stats add it up.
        let history = try await client.wallet.listHistory(
            .init(memberID: "m1", currency: "EUR", pageSize: 2))
        #expect(history.entries.map(\.kind) == ["manual-credit", "accrue"])
        #expect(history.entries[0].explanation == "test-admin/ops-anna: goodwill")
        #expect(history.entries[1].claimID == claim.claimID)
        #expect(history.entries[1].explanation.hasPrefix("claim \(claim.claimID) approved by test-admin/ops-anna"))
        #expect(!history.nextPageToken.isEmpty)
        let older = try await client.wallet.listHistory(
            .init(memberID: "m1", currency: "EUR", pageToken: history.nextPageToken))
        #expect(older.entries.isEmpty && older.nextPageToken.isEmpty)
        await Self.expectStatus(.invalidArgument, "pageToken") {
            _ = try await client.wallet.listHistory(
                .init(memberID: "m1", currency: "EUR", pageToken: "nope"))
        }
        let stats = try await client.admin.getStats(
            .init(currency: "EUR", fromMs: 1, toMs: 253_402_300_799_999))
        #expect(stats.total?.accruedMinor == 500 && stats.total?.members == 1)
        #expect(stats.merchants.map(\.merchantID) == ["shop-1"])
        await Self.expectStatus(.invalidArgument, "fromMs before toMs") {
            _ = try await client.admin.getStats(.init(currency: "EUR", fromMs: 5, toMs: 5))
        }
        #expect(try await client.admin.verify(.init()).ok)
        await client.close()
        await server.stop()
    }
}
