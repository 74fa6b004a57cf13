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
    /// 2 000 by default (about 25 000 commands), or as many as the environment variable
    /// `CASHBACK_PROPERTY_SEQUENCES` says, for a longer soak.
    static let sequenceCount =
        ProcessInfo.processInfo.environment["CASHBACK_PROPERTY_SEQUENCES"].flatMap { Int($0) }
        ?? 2_000

    /// The check runs as this many test cases of `sequenceCount / shares` sequences each, with
    /// seeds of their own, so that they run side by side: one alone would keep one core busy
    /// for minutes after every other test has finished.
    static let shares = 2

    // Without shrinking: each attempt replays a whole sequence on a new file, so shrinking a
    // failure takes minutes; the failing input and its seed are reported either way.
    @Test(
        "every invariant holds after every step of random command sequences", .shrinking(false),
        arguments: 0..<shares)
    func sequencesHoldEveryInvariant(share: Int) async throws {
        await propertyCheck(
            count: Self.sequenceCount / Self.shares + (share < Self.sequenceCount % Self.shares ? 1 : 0),
            input: Gen.int(in: 0...999_999).array(of: 4...96)
        ) { numbers in
            try await withTemporaryDirectory { directory in
                let clock = TestClock()
                let repository = try SQLiteLedgerRepository(
                    path: ledgerPath(in: directory), clock: clock.read)
                var model = Model(repository: repository, clock: clock)
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

/// Four random numbers: which command (publish, accrue ×4, quote, confirm, cancel, adjust ×2,
/// upsert, redeem, refund a redemption, withdraw, complete, fail, expire, freeze or unfreeze,
/// replay, file a claim, decide a claim, manual credit or debit), and its arguments.
struct Step: CustomStringConvertible {
    var kind: Int
    var a: Int
    var b: Int
    var c: Int

    init(_ numbers: [Int]) {
        self.kind = numbers[0] % 22
        self.a = numbers[1]
        self.b = numbers[2]
        self.c = numbers[3]
    }

    var description: String { "step(\(kind), \(a), \(b), \(c))" }
}

/// Runs steps against the ledger and checks the invariants after each.
struct Model {
    let repository: SQLiteLedgerRepository
    let clock: TestClock
    /// The last mutating command and its first answer, to replay.
    var last: (command: @Sendable () async throws -> String, answer: String)?
    /// Redemptions and withdrawals made so far, for refunds and settlements to name.
    var redemptions: [Int64] = []
    var withdrawals: [Int64] = []
    var claims: [Int64] = []
    /// Each member's spent, withdrawn and expired after the previous step.
    var totals: [String: (spent: Int64, withdrawn: Int64, expired: Int64)] = [:]

    init(repository: SQLiteLedgerRepository, clock: TestClock) {
        self.repository = repository
        self.clock = clock
    }

    static let members = ["m-0", "m-1", "m-2"]

    static let bookDay: Int64 = 1_700_000_000_000
    static let orders = 3

    /// Registers the merchant, publishes one of the rule sets of `rules(_:)`, and gives every
    /// member a confirmed order, so that spending and withdrawing have something to draw on.
    mutating func setUp(rulesSeed: Int) async throws {
        _ = try await self.repository.upsertMerchant(
            try MerchantUpsert(
                merchantID: "shop-1", name: "Shop", currency: "EUR", shopperRateBasisPoints: 300,
                commissionBasisPoints: 500, cashbackExpiryDays: Int64(rulesSeed % 3) * 20,
                idempotencyKey: "setup")
        ).get()
        _ = try await self.repository.publishRuleSet(
            try RuleSetPublication(
                merchantID: "shop-1", rules: try Self.rules(rulesSeed), idempotencyKey: "setup")
        ).get()
        for member in Self.members {
            _ = try await self.repository.accrue(
                try AccrueCommand(
                    merchantID: "shop-1", orderID: "seed-\(member)", memberID: member,
                    eligibleMinorUnits: 60_000, currency: "EUR",
                    orderedAtMilliseconds: Self.bookDay)
            ).get()
            _ = try await self.repository.confirm(
                try OrderReference(merchantID: "shop-1", orderID: "seed-\(member)")
            ).get()
        }
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
                cashbackExpiryDays: Int64(step.c % 3) * 15,
                status: step.b % 10 == 0 ? .paused : .active, idempotencyKey: "u-\(step.b % 4)")
            command = { "\(try await repository.upsertMerchant(upsert).map(\.created))" }
        case 11:
            let (member, available) = try await self.richestMember(step)
            let redeem = try RedeemCommand(
                memberID: member, currency: "EUR",
                amountMinorUnits: step.c % 3 == 0 && available > 0
                    ? available : Int64(1 + step.c % 800),
                idempotencyKey: "r-\(step.a % 6)")
            if case .success(let outcome) = try await repository.redeem(redeem), !outcome.replayed {
                self.redemptions.append(outcome.redemptionID)
            }
            command = { "\(try await repository.redeem(redeem).map(\.redemptionID))" }
        case 12:
            if self.redemptions.isEmpty {
                command = nil
            } else {
                let refund = try RedemptionRefundCommand(
                    redemptionID: self.redemptions[step.a % self.redemptions.count],
                    amountMinorUnits: Int64(1 + step.c % 400), idempotencyKey: "f-\(step.b % 6)")
                command = {
                    "\(try await repository.refundRedemption(refund).map(\.refundedMinorUnits))"
                }
            }
        case 13:
            let (member, available) = try await self.richestMember(step)
            let withdraw = try WithdrawCommand(
                memberID: member, currency: "EUR",
                amountMinorUnits: step.c % 3 == 0 && available > 0
                    ? available : Int64(900 + step.c % 1_500),
                destination: try PayoutDestination(kind: .phone, account: "+4915112345678"),
                idempotencyKey: "w-\(step.a % 6)")
            if case .success(let record) = try await repository.withdraw(withdraw), !record.replayed {
                self.withdrawals.append(record.withdrawalID)
            }
            command = { "\(try await repository.withdraw(withdraw).map(\.withdrawalID))" }
        case 14, 15:
            if self.withdrawals.isEmpty {
                command = nil
            } else {
                let settle = try WithdrawalSettlementCommand(
                    withdrawalID: self.withdrawals[step.a % self.withdrawals.count],
                    outcome: step.kind == 14 ? .completed : .failed(reason: "bounced"),
                    idempotencyKey: "s-\(step.b % 6)")
                command = { "\(try await repository.settleWithdrawal(settle).map(\.state))" }
            }
        case 16:
            self.clock.advance(days: Int64(step.a % 40))
            let run = try ExpiryRunCommand(
                asOfMilliseconds: self.clock.milliseconds, idempotencyKey: "x-\(step.b)")
            command = { "\(try await repository.runExpiry(run).map(\.expiredLotCount))" }
        case 17:
            let freeze = try MemberFreezeCommand(
                memberID: Self.members[step.b % 3], frozen: step.c % 2 == 0, actor: "ops",
                reason: "review", idempotencyKey: "z-\(step.a % 6)")
            command = { "\(try await repository.setFrozen(freeze).map(\.frozen))" }
        case 19:
            let filing = try ClaimFiling(
                memberID: Self.members[step.b % 3], merchantID: "shop-1",
                orderID: "o-\(step.a % (Self.orders + 2))", amountMinorUnits: Int64(1 + step.c % 30_000),
                currency: "EUR", orderedAtMilliseconds: Self.bookDay, details: "never credited",
                idempotencyKey: "c-\(step.b % 6)")
            if case .success(let claim) = try await repository.fileClaim(filing), !claim.replayed {
                self.claims.append(claim.claimID)
            }
            command = { "\(try await repository.fileClaim(filing).map(\.claimID))" }
        case 20:
            if self.claims.isEmpty {
                command = nil
            } else {
                let decision = try ClaimDecision(
                    claimID: self.claims[step.a % self.claims.count], approve: step.c % 3 != 0,
                    actor: "ops", reason: "checked", idempotencyKey: "d-\(step.b % 6)")
                command = { "\(try await repository.decideClaim(decision).map(\.state))" }
            }
        case 21:
            let adjustment = try BalanceAdjustment(
                memberID: Self.members[step.b % 3], currency: "EUR",
                amountMinorUnits: step.c % 2 == 0
                    ? Int64(1 + step.a % 900) : -Int64(1 + step.a % 900),
                actor: "ops", reason: "manual", idempotencyKey: "m-\(step.b % 6)")
            command = { "\(try await repository.adjustBalance(adjustment).map(\.availableMinorUnits))" }
        default:
            // 18: replay the last mutating command: it must answer exactly as the first time did
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
        try await self.checkTotalsOnlyGrow(after: step)
    }

    /// Mostly the member with the most available cashback (so that spending succeeds often),
    /// sometimes any member (so that refusals happen too).
    func richestMember(_ step: Step) async throws -> (String, Int64) {
        let euro = try CurrencyCode(validating: "EUR")
        var best = (Self.members[step.b % 3], Int64(0))
        guard step.b % 4 != 0 else { return best }
        for member in Self.members {
            let available = try await self.repository.balance(memberID: member, currency: euro)
                .availableMinorUnits
            if available > best.1 { best = (member, available) }
        }
        return best
    }

    /// Spent and withdrawn only grow; expired too, but for a refund (adjust), which takes back
    /// cashback that expired before it makes debt.
    mutating func checkTotalsOnlyGrow(after step: Step) async throws {
        let euro = try CurrencyCode(validating: "EUR")
        for member in Self.members {
            let now = try await self.repository.balance(memberID: member, currency: euro)
            if let then = self.totals[member] {
                #expect(now.spentMinorUnits >= then.spent, "spent fell, \(step)")
                #expect(now.withdrawnMinorUnits >= then.withdrawn, "withdrawn fell, \(step)")
                let refund = step.kind == 8 || step.kind == 9
                #expect(refund || now.expiredMinorUnits >= then.expired, "expired fell, \(step)")
            }
            self.totals[member] = (
                now.spentMinorUnits, now.withdrawnMinorUnits, now.expiredMinorUnits
            )
        }
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
