import CashbackCore
import Testing

/// Refunds: which lines are left, and a cashback that never rises.
@Suite("Adjustment")
struct AdjustmentTests {
    static func unlined(_ amount: Int64) throws -> OrderPricingInput {
        try OrderPricingInput(
            amountMinorUnits: amount, lines: [], segments: [], orderedAtMilliseconds: 1,
            ruleVersion: 1)
    }

    static func lined() throws -> OrderPricingInput {
        try OrderPricingInput(
            amountMinorUnits: 0,
            lines: [
                OrderLine(sku: "a", category: "books", amountMinorUnits: 3_000),
                OrderLine(sku: "b", category: "toys", amountMinorUnits: 7_000),
            ],
            segments: [], orderedAtMilliseconds: 1, ruleVersion: 1)
    }

    @Test("the change must fit the order's form and only lower it", arguments: [
        // (lined, change, expected eligible or the rejection code)
        (false, AdjustCommand.Change.newAmount(minorUnits: 4_000), "4000"),
        (false, .newAmount(minorUnits: 10_000), "10000"),
        (false, .newAmount(minorUnits: 10_001), "adjustmentRefused"),
        (false, .fullRefund, "0"),
        (false, .refundedLines([RefundedLine(sku: "a", amountMinorUnits: 1)]), "invalidArgument"),
        (true, .refundedLines([RefundedLine(sku: "b", amountMinorUnits: 7_000)]), "3000"),
        (true, .refundedLines([RefundedLine(sku: "b", amountMinorUnits: 7_001)]), "adjustmentRefused"),
        (true, .refundedLines([RefundedLine(sku: "zz", amountMinorUnits: 1)]), "invalidArgument"),
        (true, .newAmount(minorUnits: 1), "invalidArgument"),
        (true, .fullRefund, "0"),
    ] as [(Bool, AdjustCommand.Change, String)])
    func lines(lined: Bool, change: AdjustCommand.Change, expected: String) throws {
        let order = lined ? try Self.lined() : try Self.unlined(10_000)
        switch Adjustment.lines(after: change, of: order) {
        case .success(let lines):
            #expect("\(order.replacingLines(lines).eligibleMinorUnits)" == expected)
        case .failure(let rejection):
            #expect("\(rejection.code)" == expected, "\(rejection.message)")
        }
    }

    @Test("repricing never raises the cashback, even when a lower amount falls in a richer tier")
    func neverRaises() throws {
        let rules = try RuleSet(
            validating: 300, categories: [],
            tiers: [Tier(fromMinorUnits: 10_000, toMinorUnits: 0, rateBasisPoints: 100)],
            minimumOrderMinorUnits: 0, capPerOrderMinorUnits: 0, fixedPerOrderMinorUnits: 0,
            campaigns: [])
        let order = try Self.unlined(10_000)
        let first = Pricing.price(order, rules: rules, version: 1, commissionBasisPoints: 500)
        #expect(first.cashbackMinorUnits == 100)
        let lines = try Adjustment.lines(after: .newAmount(minorUnits: 9_999), of: order).get()
        let after = Adjustment.reprice(
            order.replacingLines(lines), rules: rules, version: 1, commissionBasisPoints: 500,
            currentCashbackMinorUnits: first.cashbackMinorUnits,
            currentCommissionMinorUnits: first.commissionMinorUnits)
        #expect(after.cashbackMinorUnits == 100)  // 9 999 × 3 % = 299 would be a raise
        #expect(after.keptByAdjustment)
        #expect(after.commissionMinorUnits == 499)
        #expect(after.marginMinorUnits == 399)
    }

    @Test("an adjust request takes exactly one form")
    func oneForm() {
        let cases: [() throws -> AdjustCommand] = [
            { try AdjustCommand(merchantID: "m", orderID: "o", idempotencyKey: "k") },
            {
                try AdjustCommand(
                    merchantID: "m", orderID: "o", idempotencyKey: "k", newAmountMinorUnits: 5,
                    fullRefund: true)
            },
            {
                try AdjustCommand(
                    merchantID: "m", orderID: "o", idempotencyKey: "k", newAmountMinorUnits: -5)
            },
            {
                try AdjustCommand(
                    merchantID: "m", orderID: "o", idempotencyKey: "k",
                    refundedLines: [
                        RefundedLine(sku: "a", amountMinorUnits: 1),
                        RefundedLine(sku: "a", amountMinorUnits: 2),
                    ])
            },
            {
                try AdjustCommand(
                    merchantID: "m", orderID: "o", idempotencyKey: "k", fullRefund: true,
                    reason: String(repeating: "r", count: 501))
            },
        ]
        for make in cases {
            #expect(rejection(make)?.code == .invalidArgument)
        }
    }
}
