import CashbackCore
import CashbackRepository
import Foundation
@testable import CashbackStore

/// A directory of its own under the system's temporary directory, removed after `body`.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("cashback-store-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// A fresh ledger file in a temporary directory, with merchant `shop-1` (EUR, 500 bps)
/// registered, handed to `body` and deleted after it.
func withLedger<T>(_ body: (SQLiteLedgerRepository) async throws -> T) async throws -> T {
    try await withTemporaryDirectory { directory in
        let repository = try SQLiteLedgerRepository(path: ledgerPath(in: directory))
        _ = try await repository.upsertMerchant(try merchant()).get()
        return try await body(repository)
    }
}

/// The ledger file's path inside `directory`.
func ledgerPath(in directory: URL) -> String {
    directory.appendingPathComponent("ledger.sqlite").path
}

/// A merchant upsert with test defaults.
func merchant(
    _ merchantID: String = "shop-1",
    name: String = "Shop One",
    currency: String = "EUR",
    rateBasisPoints: Int64 = 500,
    commissionBasisPoints: Int64 = 0,
    holdDays: Int64 = 0,
    status: MerchantStatus = .active,
    key: String? = nil
) throws -> MerchantUpsert {
    try MerchantUpsert(
        merchantID: merchantID,
        name: name,
        currency: currency,
        shopperRateBasisPoints: rateBasisPoints,
        commissionBasisPoints: commissionBasisPoints,
        holdDays: holdDays,
        status: status,
        // By default one key per distinct request, so that tests upsert freely.
        idempotencyKey: key
            ?? "upsert-\(merchantID)-\(name.utf8.count)-\(currency)-\(rateBasisPoints)-"
            + "\(commissionBasisPoints)-\(holdDays)-\(status.rawValue)"
    )
}

/// A flat rule set publication for `merchantID`.
func publication(
    _ rules: RuleSet,
    merchantID: String = "shop-1",
    key: String = "publish-1"
) throws -> RuleSetPublication {
    try RuleSetPublication(merchantID: merchantID, rules: rules, idempotencyKey: key)
}

/// A pending accrual record priced flat at `rateBasisPoints`, for posting tests.
func pendingRecord(
    eligibleMinorUnits: Int64,
    rateBasisPoints: Int64 = 500,
    commissionBasisPoints: Int64 = 0
) throws -> AccrualRecord {
    let order = try OrderPricingInput(
        amountMinorUnits: eligibleMinorUnits, lines: [], segments: [],
        orderedAtMilliseconds: 1, ruleVersion: 1)
    let explanation = Pricing.price(
        order, rules: .flat(rateBasisPoints: rateBasisPoints), version: 1,
        commissionBasisPoints: commissionBasisPoints)
    return AccrualRecord(
        accrualID: 1, merchantID: "shop-1", orderID: "order-1", memberID: "member-1",
        currency: try euro(), reportedMinorUnits: eligibleMinorUnits, order: order,
        explanation: explanation, state: .pending, holdEndsAtMilliseconds: 1)
}

/// An accrual command with test defaults: 100.00 EUR at 5 % earns 5.00.
func accrual(
    _ orderID: String = "order-1",
    merchantID: String = "shop-1",
    memberID: String = "member-1",
    eligibleMinorUnits: Int64 = 10_000,
    currency: String = "EUR",
    orderedAtMilliseconds: Int64 = 1_700_000_000_000,
    lines: [OrderLine] = [],
    segments: [String] = [],
    ruleVersion: Int64 = 0
) throws -> AccrueCommand {
    try AccrueCommand(
        merchantID: merchantID,
        orderID: orderID,
        memberID: memberID,
        eligibleMinorUnits: lines.isEmpty ? eligibleMinorUnits : 0,
        currency: currency,
        orderedAtMilliseconds: orderedAtMilliseconds,
        lines: lines,
        segments: segments,
        ruleVersion: ruleVersion
    )
}

/// An adjustment of `orderID` with test defaults.
func adjustment(
    _ orderID: String = "order-1",
    key: String,
    newAmountMinorUnits: Int64 = 0,
    refundedLines: [RefundedLine] = [],
    fullRefund: Bool = false
) throws -> AdjustCommand {
    try AdjustCommand(
        merchantID: "shop-1", orderID: orderID, idempotencyKey: key,
        newAmountMinorUnits: newAmountMinorUnits, refundedLines: refundedLines,
        fullRefund: fullRefund, reason: "test")
}

/// The reference of `orderID` at `merchantID`.
func order(_ orderID: String = "order-1", merchantID: String = "shop-1") throws -> OrderReference {
    try OrderReference(merchantID: merchantID, orderID: orderID)
}

/// The euro.
func euro() throws -> CurrencyCode {
    try CurrencyCode(validating: "EUR")
}

extension Result {
    /// The success value, or `nil`.
    var success: Success? {
        if case .success(let value) = self { return value }
        return nil
    }

    /// The failure, or `nil`.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

extension SQLiteLedgerRepository {
    /// The member's balance in euros.
    func euroBalance(_ memberID: String = "member-1") async throws -> Balance {
        try await self.balance(memberID: memberID, currency: try euro())
    }
}

/// The actor of admin commands in store tests; the server passes the calling token's name.
extension SQLiteLedgerRepository {
    static let testActor = "test-operator"

    func upsertMerchant(_ upsert: MerchantUpsert) async throws
        -> Result<MerchantUpsertOutcome, LedgerRejection>
    {
        try await upsertMerchant(upsert, actor: Self.testActor)
    }

    func publishRuleSet(_ publication: RuleSetPublication) async throws
        -> Result<PublishedRuleSet, LedgerRejection>
    {
        try await publishRuleSet(publication, actor: Self.testActor)
    }

    func runExpiry(_ command: ExpiryRunCommand) async throws
        -> Result<ExpiryRunOutcome, LedgerRejection>
    {
        try await runExpiry(command, actor: Self.testActor)
    }
}
