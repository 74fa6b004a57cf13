import CashbackCore
import CashbackRepository
import GRDB

extension SQLiteLedgerRepository {
    /// Prices an order as `accrue(_:)` would now, on a reader snapshot; writes nothing.
    ///
    /// See `LedgerRepository.quote(_:)`.
    public func quote(
        _ command: QuoteCommand
    ) async throws -> Result<PricingExplanation, LedgerRejection> {
        try await self.pool.read { db in
            guard let merchant = try MerchantsTable.fetch(db, merchantID: command.merchantID)
            else {
                return .failure(Self.merchantNotFound(command.merchantID))
            }
            return try Self.price(
                command.order, merchant: merchant, currency: command.currency, in: db,
                catalog: nil)
        }
    }

    /// Books the pending cashback of an order, idempotently on (merchant, order id).
    ///
    /// See `LedgerRepository.accrue(_:)` for the rules and their order.
    ///
    /// ```swift
    /// switch try await repository.accrue(command) {
    /// case .success(let outcome): print(outcome.record.cashbackMinorUnits, outcome.replayed)
    /// case .failure(let rejection): print(rejection.code)
    /// }
    /// ```
    ///
    /// - Throws: `LedgerStoreError` (`.balanceOutOfRange`, `.corruptRow`) or a database error;
    ///   the transaction was rolled back.
    public func accrue(
        _ command: AccrueCommand
    ) async throws -> Result<AccrueOutcome, LedgerRejection> {
        let now = self.clock()
        let limit = self.policy.accrualsPerMemberPerHour
        let catalog = self.writer.catalog
        return try await self.writer.perform(refusable: { db in
            try Self.accrue(
                command, in: db, nowMilliseconds: now, velocity: limit, catalog: catalog)
        })
    }

    /// The body of `accrue(_:)`, inside the writer's transaction.
    ///
    /// `velocity` is the member's limit of new accruals per sliding hour (nil: none), checked
    /// after replays, so a replay is never refused by it. `catalog` is the writer's, which
    /// the merchant and its rules are read through.
    static func accrue(
        _ command: AccrueCommand,
        in db: Database,
        nowMilliseconds: Int64,
        velocity: Int?,
        note: String = "",
        catalog: WriterCatalog
    ) throws -> Result<AccrueOutcome, LedgerRejection> {
        // An order already accrued is judged against its own booking before anything about
        // the merchant's current settings: a replay must answer the first result even after
        // the merchant changed its currency, paused, or published new rules.
        // Read once: the same row answers "not found" here and prices the order below.
        guard let merchant = try catalog.merchant(db, merchantID: command.merchantID) else {
            return .failure(Self.merchantNotFound(command.merchantID))
        }
        if let existing = try AccrualsTable.fetch(db, command.orderReference) {
            return Self.replayOrConflict(command, existing: existing)
        }
        if let velocity {
            let recent = try AccrualsTable.count(
                db, memberID: command.memberID, sinceMilliseconds: nowMilliseconds - 3_600_000)
            guard recent < velocity else {
                return .failure(
                    LedgerRejection(
                        .velocityLimit,
                        "member '\(command.memberID)' had \(recent) new accruals in the last "
                            + "hour, the most allowed; retry later"))
            }
        }
        let explanation: PricingExplanation
        switch try Self.price(
            command.order, merchant: merchant, currency: command.currency, in: db,
            catalog: catalog)
        {
        case .failure(let rejection): return .failure(rejection)
        case .success(let priced): explanation = priced
        }
        let holdEnds = command.orderedAtMilliseconds
            + merchant.holdDays * LedgerLimits.millisecondsPerDay
        let record = try AccrualsTable.insertPending(
            db, command, explanation: explanation, holdEndsAtMilliseconds: holdEnds,
            nowMilliseconds: nowMilliseconds)
        try LedgerPosting.accrual(of: record).book(
            db, for: record, note: note, nowMilliseconds: nowMilliseconds)
        try AccrualEventsTable.append(
            db, accrualID: record.accrualID,
            AccrualChange(
                kind: .accrue, atMilliseconds: nowMilliseconds, state: .pending,
                eligibleMinorUnits: record.eligibleMinorUnits,
                cashbackMinorUnits: record.cashbackMinorUnits,
                cashbackDeltaMinorUnits: record.cashbackMinorUnits, debtMinorUnits: 0,
                idempotencyKey: "", reason: ""))
        return .success(
            AccrueOutcome(
                record: record, replayed: false,
                firstCashbackMinorUnits: record.cashbackMinorUnits))
    }

    /// Quote and Accrue's shared checks and pricing, once the merchant is read: its status
    /// and currency, the rule version; then `Pricing.price`. The rule set is read through
    /// `catalog` (the writer's) or, without one (Quote, on a reader), from the file.
    static func price(
        _ order: OrderPricingInput,
        merchant: Merchant,
        currency: CurrencyCode,
        in db: Database,
        catalog: WriterCatalog?
    ) throws -> Result<PricingExplanation, LedgerRejection> {
        let merchantID = merchant.merchantID
        guard merchant.status == .active else {
            return .failure(
                LedgerRejection(
                    .merchantPaused,
                    "merchant '\(merchantID)' is paused and takes no new orders; "
                        + "UpsertMerchant with status ACTIVE resumes it"))
        }
        guard merchant.currency == currency else {
            return .failure(
                LedgerRejection(
                    .currencyMismatch,
                    "currency \(currency) does not match merchant '\(merchantID)' currency "
                        + "\(merchant.currency)"))
        }
        let published =
            if let catalog {
                try catalog.ruleSet(db, merchantID: merchantID, version: order.ruleVersion)
            } else {
                try RuleSetsTable.fetch(db, merchantID: merchantID, version: order.ruleVersion)
            }
        guard let published else {
            return .failure(Self.ruleSetNotFound(merchantID, order.ruleVersion))
        }
        let explanation = Pricing.price(
            order, rules: published.rules, version: published.version,
            commissionBasisPoints: merchant.commissionBasisPoints)
        return .success(explanation)
    }

    /// A replay if `command` carries exactly the payload `existing` was accrued with, else a
    /// conflict naming every field that differs.
    static func replayOrConflict(
        _ command: AccrueCommand,
        existing stored: StoredAccrual
    ) -> Result<AccrueOutcome, LedgerRejection> {
        let existing = stored.record
        var differing: [String] = []
        // Byte-wise, as the database compares ids: Swift's `==` on strings would call two
        // canonically equivalent but differently encoded ids equal.
        func same(_ left: String, _ right: String) -> Bool { left.utf8.elementsEqual(right.utf8) }
        if !same(existing.memberID, command.memberID) {
            differing.append("memberId")
        }
        if existing.reportedMinorUnits != command.eligibleMinorUnits {
            differing.append("amountMinor")
        }
        if existing.currency != command.currency {
            differing.append("currency")
        }
        if existing.orderedAtMilliseconds != command.orderedAtMilliseconds {
            differing.append("orderedAtMs")
        }
        // Orders without lines hold one implicit line of their amount, compared above.
        let withLines = command.order.hasReportedLines || existing.order.hasReportedLines
        let firstLines = command.order.lines
        let storedLines = existing.order.lines
        let sameLines =
            firstLines.count == storedLines.count
            && zip(firstLines, storedLines).allSatisfy {
                same($0.sku, $1.sku) && same($0.category, $1.category)
                    && $0.amountMinorUnits == $1.amountMinorUnits
            }
        if withLines && !sameLines {
            differing.append("lines")
        }
        if command.order.segments.count != existing.order.segments.count
            || !zip(command.order.segments, existing.order.segments).allSatisfy(same)
        {
            differing.append("segments")
        }
        if command.order.ruleVersion != 0 && command.order.ruleVersion != existing.ruleVersion {
            differing.append("ruleVersion")
        }
        guard differing.isEmpty else {
            return .failure(
                LedgerRejection(
                    .orderConflict,
                    "\(command.orderReference) was already accrued with a different "
                        + differing.joined(separator: ", ")))
        }
        return .success(
            AccrueOutcome(
                record: existing, replayed: true,
                firstCashbackMinorUnits: stored.firstCashbackMinorUnits))
    }
}
