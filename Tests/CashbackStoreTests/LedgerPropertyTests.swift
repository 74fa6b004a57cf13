import CashbackCore
import CashbackRepository
import Foundation
import PropertyBased
import Testing
@testable import CashbackStore

/// Random command sequences against a real ledger file: after every step, Verify must find
/// the books whole, a refused command must have changed nothing, and a replay must answer the
/// first result.
@Suite("Ledger properties", .timeLimit(.minutes(10)))
struct LedgerPropertyTests {
    /// Random command sequences run by `sequencesHoldEveryInvariant` (each 1 to 24 commands):
    /// 2 000 by default (about 25 000 commands, under two minutes here), or as many as the
    /// environment variable `CASHBACK_PROPERTY_SEQUENCES` says, for a longer soak.
    static let sequenceCount =
        ProcessInfo.processInfo.environment["CASHBACK_PROPERTY_SEQUENCES"].flatMap { Int($0) }
        ?? 2_000

    @Test("every invariant holds after every step of random command sequences")
    func sequencesHoldEveryInvariant() async throws {
        await propertyCheck(
            count: Self.sequenceCount, input: Gen.int(in: 0...999_999).array(of: 4...96)
        ) { numbers in
            try await withTemporaryDirectory { directory in
                let repository = try SQLiteLedgerRepository(path: ledgerPath(in: directory))
                var model = Model(repository: repository)
                try await model.setUp(rulesSeed: numbers[0])
                var numbers = numbers[...]
                while numbers.count >= 4 {
                    let step = Step(Array(numbers.prefix(4)))
                    numbers = numbers.dropFirst(4)
                    try await model.run(step)
                }
                try repository.close()
            }
        }
    }
}

/// Four random numbers: which command, and its arguments.
struct Step: CustomStringConvertible {
    var kind: Int
    var a: Int
    var b: Int
    var c: Int

    init(_ numbers: [Int]) {
        self.kind = numbers[0] % 12
        self.a = numbers[1]
        self.b = numbers[2]
        self.c = numbers[3]
    }

    var description: String { "step(\(kind), \(a), \(b), \(c))" }
}

/// Runs steps against the ledger and checks the invariants after each.
struct Model {
    let repository: SQLiteLedgerRepository
    /// The last mutating command and its first answer, to replay.
    var last: (command: @Sendable () async throws -> String, answer: String)?

    init(repository: SQLiteLedgerRepository) {
        self.repository = repository
    }

    static let bookDay: Int64 = 1_700_000_000_000
    static let orders = 3

    /// Registers the merchant and publishes one of the rule sets of `rules(_:)`.
    mutating func setUp(rulesSeed: Int) async throws {
        _ = try await self.repository.upsertMerchant(
            try MerchantUpsert(
                merchantID: "shop-1", name: "Shop", currency: "EUR", shopperRateBasisPoints: 300,
                commissionBasisPoints: 500, idempotencyKey: "setup")
        ).get()
        _ = try await self.repository.publishRuleSet(
            try RuleSetPublication(
                merchantID: "shop-1", rules: try Self.rules(rulesSeed), idempotencyKey: "setup")
        ).get()
    }

    mutating func run(_ step: Step) async throws {
        let before = try await self.repository.verifyBooks()
        let repository = self.repository
        let command: (@Sendable () async throws -> String)?
        switch step.kind {
        case 0:
            let publication = try RuleSetPublication(
                merchantID: "shop-1", rules: try Self.rules(step.a),
                idempotencyKey: "p-\(step.b % 4)")
            command = { "\(try await repository.publishRuleSet(publication).map(\.version))" }
        case 1, 2, 3, 4:
            let accrue = try Self.accrue(step)
            command = { "\(try await repository.accrue(accrue).map(Self.firstAnswer))" }
        case 5:
            let quote = try Self.accrue(step)
            let explanation = try await repository.quote(
                try QuoteCommand(
                    merchantID: quote.merchantID, memberID: quote.memberID,
                    eligibleMinorUnits: quote.eligibleMinorUnits, currency: "EUR",
                    orderedAtMilliseconds: quote.orderedAtMilliseconds, lines: quote.order.lines,
                    segments: quote.order.segments))
            #expect(try await repository.verifyBooks() == before, "a quote wrote, \(step)")
            if case .success(let priced) = explanation {
                #expect(priced.cashbackMinorUnits <= priced.eligibleMinorUnits)
            }
            command = nil
        case 6:
            let ref = try Self.order(step.a)
            command = { "\(try await repository.confirm(ref).map(\.state))" }
        case 7:
            let ref = try Self.order(step.a)
            command = { "\(try await repository.cancel(ref).map(\.state))" }
        case 8, 9:
            let adjust = try Self.adjust(step)
            command = { "\(try await repository.adjust(adjust).map(Self.firstAnswer))" }
        case 10:
            let upsert = try MerchantUpsert(
                merchantID: "shop-1", name: "Shop", currency: "EUR", shopperRateBasisPoints: 300,
                commissionBasisPoints: Int64(step.a % 3_000), holdDays: Int64(step.c % 60),
                status: step.b % 10 == 0 ? .paused : .active, idempotencyKey: "u-\(step.b % 4)")
            command = { "\(try await repository.upsertMerchant(upsert).map(\.created))" }
        default:
            // Replay the last mutating command: it must answer exactly as the first time did
            // when that first time was accepted (an order or a key replays its first answer).
            if let last = self.last, last.answer.hasPrefix("success") {
                let again = try await last.command()
                #expect(again == last.answer, "a replay answered differently, \(step)")
            }
            command = nil
        }
        if let command {
            let answer = try await command()
            self.last = (command, answer)
            if !answer.hasPrefix("success") {
                #expect(try await repository.verifyBooks() == before, "a refusal wrote: \(answer)")
            }
        }
        let report = try await repository.verifyBooks()
        #expect(report.discrepancies == [], "after \(step)")
    }

    /// The part of an answer that a replay repeats.
    static func firstAnswer(_ outcome: AccrueOutcome) -> String {
        "\(outcome.record.accrualID) \(outcome.firstCashbackMinorUnits)"
    }

    static func firstAnswer(_ outcome: AdjustOutcome) -> String {
        "\(outcome.eligibleMinorUnits) \(outcome.cashbackMinorUnits) \(outcome.clawedBackMinorUnits) "
            + "\(outcome.debtMinorUnits)"
    }

    static func order(_ a: Int) throws -> OrderReference {
        try OrderReference(merchantID: "shop-1", orderID: "o-\(a % Self.orders)")
    }

    static let categories = ["books", "toys", "gift-cards"]

    static func accrue(_ step: Step) throws -> AccrueCommand {
        let amount = Int64(1 + step.c % 50_000)
        let lines =
            step.c % 3 == 0
            ? [
                OrderLine(
                    sku: "a", category: Self.categories[step.b % 3], amountMinorUnits: amount),
                OrderLine(
                    sku: "b", category: Self.categories[(step.b / 3) % 3],
                    amountMinorUnits: 1 + Int64(step.a % 9_000)),
            ] : []
        return try AccrueCommand(
            merchantID: "shop-1", orderID: "o-\(step.a % Self.orders)",
            memberID: "m-\(step.b % 3)", eligibleMinorUnits: lines.isEmpty ? amount : 0,
            currency: "EUR", orderedAtMilliseconds: Self.bookDay + Int64(step.c % 4) * 1_000,
            lines: lines, segments: step.b % 2 == 0 ? ["vip"] : [])
    }

    static func adjust(_ step: Step) throws -> AdjustCommand {
        let key = "k-\(step.b % 6)"
        switch step.c % 3 {
        case 0:
            return try AdjustCommand(
                merchantID: "shop-1", orderID: "o-\(step.a % Self.orders)", idempotencyKey: key,
                fullRefund: true)
        case 1:
            return try AdjustCommand(
                merchantID: "shop-1", orderID: "o-\(step.a % Self.orders)", idempotencyKey: key,
                newAmountMinorUnits: Int64(1 + step.b % 12_000))
        default:
            return try AdjustCommand(
                merchantID: "shop-1", orderID: "o-\(step.a % Self.orders)", idempotencyKey: key,
                refundedLines: [
                    RefundedLine(
                        sku: step.b % 2 == 0 ? "a" : "b", amountMinorUnits: Int64(1 + step.c % 5_000))
                ])
        }
    }

    /// One of four kinds of rule set, with rates from `a`.
    static func rules(_ a: Int) throws -> RuleSet {
        let rate = Int64(a % 2_001)
        switch a % 4 {
        case 0:
            return .flat(rateBasisPoints: rate)
        case 1:
            return try RuleSet(
                validating: rate, categories: [],
                tiers: [
                    Tier(fromMinorUnits: 0, toMinorUnits: 1_000, rateBasisPoints: 300),
                    Tier(fromMinorUnits: 10_000, toMinorUnits: 0, rateBasisPoints: 100),
                ],
                minimumOrderMinorUnits: 0, capPerOrderMinorUnits: 500, fixedPerOrderMinorUnits: 0,
                campaigns: [])
        case 2:
            return try RuleSet(
                validating: rate,
                categories: [
                    CategoryRule(category: "books", rateBasisPoints: 1_000, excluded: false),
                    CategoryRule(category: "gift-cards", rateBasisPoints: 0, excluded: true),
                ],
                tiers: [], minimumOrderMinorUnits: 500, capPerOrderMinorUnits: 0,
                fixedPerOrderMinorUnits: 50, campaigns: [])
        default:
            return try RuleSet(
                validating: rate, categories: [], tiers: [], minimumOrderMinorUnits: 0,
                capPerOrderMinorUnits: 0, fixedPerOrderMinorUnits: 0,
                campaigns: [
                    Campaign(
                        campaignID: "bf", startsAtMilliseconds: Self.bookDay,
                        endsAtMilliseconds: Self.bookDay + 2_000, priority: 1, segment: "vip",
                        rateBasisPoints: 2_000)
                ])
        }
    }
}
