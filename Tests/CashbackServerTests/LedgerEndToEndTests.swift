@testable import CashbackClient
import CashbackTestSupport
import Testing

/// The ledger methods over HTTP/2 with the generated client: each one's answer, and each one's
/// error statuses.
@Suite(.timeLimit(.minutes(1))) struct LedgerEndToEndTests {
    static let bookDay: Int64 = 1_700_000_000_000

    static func merchant(status: CashbackV1.MerchantStatus = .active, key: String = "u-1")
        -> CashbackV1.UpsertMerchantRequest
    {
        .init(
            merchantID: "shop-1", name: "Shop One", currency: "EUR", shopperRateBps: 250,
            commissionBps: 400, holdDays: 30, cashbackExpiryDays: 365, status: status,
            idempotencyKey: key)
    }

    static let rules = CashbackV1.RuleSet(
        baseRateBps: 200,
        categories: [
            .init(category: "books", rateBps: 500),
            .init(category: "gift-cards", excluded: true),
        ],
        tiers: [.init(fromMinor: 100_000, toMinor: 0, rateBps: 100)],
        capPerOrderMinor: 5_000,
        campaigns: [
            .init(
                campaignID: "bf", startsAtMs: bookDay, endsAtMs: bookDay + 86_400_000, priority: 1,
                segment: "vip", rateBps: 1_000)
        ])

    static let lines: [CashbackV1.OrderLine] = [
        .init(sku: "book-1", category: "books", amountMinor: 2_999),
        .init(sku: "card-1", category: "gift-cards", amountMinor: 5_000),
        .init(sku: "lamp-1", category: "home", amountMinor: 1_999),
    ]

    static func expectStatus(
        _ code: RPCStatusCode, _ fragment: String = "", _ call: () async throws -> Void,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        await #expect(sourceLocation: sourceLocation) { try await call() } throws: { error in
            guard let error = error as? RPCError else { return false }
            return error.code == code && (fragment.isEmpty || error.message.contains(fragment))
        }
    }

    @Test func rulesQuoteAccrueExplainAdjustVerify() async throws {
        let server = try await TestServer.start()
        let client = try await CashbackClient.connect(host: "127.0.0.1", port: server.port, token: server.token)
        _ = try await client.admin.upsertMerchant(Self.merchant())

        let published = try await client.admin.publishRuleSet(
            .init(merchantID: "shop-1", rules: Self.rules, idempotencyKey: "rules-1"))
        #expect(published.version == 2)
        let read = try await client.admin.getRuleSet(.init(merchantID: "shop-1"))
        #expect(read.version == 2 && read.rules == Self.rules)
        #expect(try await client.admin.getRuleSet(.init(merchantID: "shop-1", version: 1)).rules
            == CashbackV1.RuleSet(baseRateBps: 250))

        let quote = try await client.accruals.quote(
            .init(
                merchantID: "shop-1", memberID: "m1", currency: "EUR", orderedAtMs: Self.bookDay,
                lines: Self.lines))
        #expect(quote.ruleVersion == 2)
        #expect(quote.pricing?.lines.map(\.rule) == ["category:books", "excluded:gift-cards", "base"])
        #expect(quote.cashbackMinor == 149 + 0 + 39)
        #expect(quote.pricing?.commissionMinor == 399)  // 9 998 × 4 %

        let accrued = try await client.accruals.accrue(
            .init(
                merchantID: "shop-1", orderID: "o-1", memberID: "m1", currency: "EUR",
                orderedAtMs: Self.bookDay, lines: Self.lines, ruleVersion: quote.ruleVersion))
        #expect(accrued.cashbackMinor == quote.cashbackMinor)
        #expect(accrued.ruleVersion == 2)

        // A vip order in the campaign window: the campaign prices every non-excluded line.
        let vip = try await client.accruals.accrue(
            .init(
                merchantID: "shop-1", orderID: "o-2", memberID: "m1", amountMinor: 10_000,
                currency: "EUR", orderedAtMs: Self.bookDay + 1, segments: ["vip"]))
        #expect(vip.cashbackMinor == 1_000)

        let adjusted = try await client.accruals.adjust(
            .init(
                merchantID: "shop-1", orderID: "o-1", idempotencyKey: "refund-1",
                refundedLines: [.init(sku: "book-1", amountMinor: 1_000)], reason: "returned"))
        #expect(adjusted.cashbackMinor == 99 + 39)
        #expect(adjusted.clawedBackMinor == 50)
        #expect(
            try await client.accruals.adjust(
                .init(
                    merchantID: "shop-1", orderID: "o-1", idempotencyKey: "refund-1",
                    refundedLines: [.init(sku: "book-1", amountMinor: 1_000)], reason: "returned"))
                == adjusted)

        let accrual = try await client.accruals.getAccrual(.init(merchantID: "shop-1", orderID: "o-1"))
        #expect(accrual.state == .pending)
        #expect(accrual.reportedMinor == 9_998 && accrual.eligibleMinor == 8_998)
        #expect(accrual.cashbackMinor == 138 && accrual.ruleVersion == 2)
        #expect(accrual.holdEndsAtMs == Self.bookDay + 30 * 86_400_000)
        #expect(accrual.pricing?.lines.first?.refundedMinor == 1_000)
        #expect(accrual.history.map(\.kind) == [.accrue, .adjust])
        #expect(accrual.history.last?.reason == "returned")

        _ = try await client.accruals.confirm(.init(merchantID: "shop-1", orderID: "o-1"))
        let balance = try await client.wallet.getBalance(.init(memberID: "m1", currency: "EUR"))
        #expect(balance.pendingMinor == 1_000)
        #expect(balance.availableMinor == 138 && balance.lifetimeMinor == 138)
        #expect(balance.nextExpiryMinor == 138)  // the merchant's cashback expires in 365 days

        let verify = try await client.admin.verify(.init())
        #expect(verify.ok && verify.breaches.isEmpty && verify.breachCount == 0)
        #expect(verify.accruals == 2)
        await client.close()
        await server.stop()
    }

    @Test func ledgerErrorsTravelAsStatuses() async throws {
        let server = try await TestServer.start()
        let client = try await CashbackClient.connect(host: "127.0.0.1", port: server.port, token: server.token)
        let admin = client.admin
        let accruals = client.accruals

        await Self.expectStatus(.invalidArgument, "idempotencyKey") {
            var request = Self.merchant()
            request.idempotencyKey = ""
            _ = try await admin.upsertMerchant(request)
        }
        _ = try await admin.upsertMerchant(Self.merchant())
        await Self.expectStatus(.alreadyExists, "idempotencyKey 'u-1'") {
            var request = Self.merchant()
            request.name = "Other"
            _ = try await admin.upsertMerchant(request)
        }
        await Self.expectStatus(.failedPrecondition, "PublishRuleSet") {
            var request = Self.merchant(key: "u-2")
            request.shopperRateBps = 300
            _ = try await admin.upsertMerchant(request)
        }
        await Self.expectStatus(.invalidArgument, "rules.tiers[1]") {
            _ = try await admin.publishRuleSet(
                .init(
                    merchantID: "shop-1",
                    rules: .init(tiers: [
                        .init(fromMinor: 0, toMinor: 1_000, rateBps: 1),
                        .init(fromMinor: 999, toMinor: 0, rateBps: 2),
                    ]), idempotencyKey: "r-1"))
        }
        await Self.expectStatus(.invalidArgument, "rules.capPerOrderMinor") {
            _ = try await admin.publishRuleSet(
                .init(merchantID: "shop-1", rules: .init(capPerOrderMinor: -1), idempotencyKey: "r-2"))
        }
        await Self.expectStatus(.invalidArgument, "rules is missing") {
            _ = try await admin.publishRuleSet(.init(merchantID: "shop-1", idempotencyKey: "r-3"))
        }
        await Self.expectStatus(.notFound, "shop-9") {
            _ = try await admin.publishRuleSet(
                .init(merchantID: "shop-9", rules: .init(), idempotencyKey: "r-4"))
        }
        await Self.expectStatus(.notFound, "version 7") {
            _ = try await admin.getRuleSet(.init(merchantID: "shop-1", version: 7))
        }
        await Self.expectStatus(.notFound, "version 7") {
            _ = try await accruals.quote(
                .init(
                    merchantID: "shop-1", memberID: "m1", amountMinor: 1, currency: "EUR",
                    orderedAtMs: 1, ruleVersion: 7))
        }
        await Self.expectStatus(.invalidArgument, "differs from the sum of the lines") {
            _ = try await accruals.accrue(
                .init(
                    merchantID: "shop-1", orderID: "o-1", memberID: "m1", amountMinor: 1,
                    currency: "EUR", orderedAtMs: 1, lines: Self.lines))
        }
        await Self.expectStatus(.invalidArgument, "memberId must be in Unicode NFC") {
            _ = try await accruals.accrue(
                .init(
                    merchantID: "shop-1", orderID: "o-1", memberID: "membe\u{301}", amountMinor: 1,
                    currency: "EUR", orderedAtMs: 1))
        }
        await Self.expectStatus(.notFound, "no accrual") {
            _ = try await accruals.getAccrual(.init(merchantID: "shop-1", orderID: "o-1"))
        }
        _ = try await accruals.accrue(
            .init(
                merchantID: "shop-1", orderID: "o-1", memberID: "m1", amountMinor: 10_000,
                currency: "EUR", orderedAtMs: 1))
        await Self.expectStatus(.invalidArgument, "exactly one of") {
            _ = try await accruals.adjust(
                .init(merchantID: "shop-1", orderID: "o-1", idempotencyKey: "a-1"))
        }
        await Self.expectStatus(.failedPrecondition, "only lowers") {
            _ = try await accruals.adjust(
                .init(
                    merchantID: "shop-1", orderID: "o-1", idempotencyKey: "a-1",
                    newAmountMinor: 10_001))
        }
        _ = try await accruals.cancel(.init(merchantID: "shop-1", orderID: "o-1"))
        await Self.expectStatus(.failedPrecondition, "cancelled") {
            _ = try await accruals.adjust(
                .init(merchantID: "shop-1", orderID: "o-1", idempotencyKey: "a-1", fullRefund: true))
        }
        _ = try await admin.upsertMerchant(Self.merchant(status: .paused, key: "u-3"))
        await Self.expectStatus(.failedPrecondition, "paused") {
            _ = try await accruals.accrue(
                .init(
                    merchantID: "shop-1", orderID: "o-2", memberID: "m1", amountMinor: 1,
                    currency: "EUR", orderedAtMs: 1))
        }
        #expect(try await admin.verify(.init()).ok)
        await client.close()
        await server.stop()
    }
}
