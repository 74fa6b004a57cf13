import CashbackCore
import CashbackRepository
import GRDB

/// Brings the accruals of a v1 file under the rules of v2, inside migration v2.
///
/// A v1 merchant had one flat shopper rate that an upsert could overwrite, and each v1 accrual
/// locked the rate it was booked at. v2 expresses rates only as rule-set versions, so each
/// merchant gets one flat version per distinct rate its accruals used (in the order they were
/// first used), then its current rate if that differs from the last; each accrual points at
/// the version of its own rate. Priced again with that version, every accrual gets exactly the
/// cashback it was booked with, so the books and `verifyBooks()` stay as they were.
///
/// v1 booked the merchant's receivable for the cashback it passed on, with no margin: that is
/// a commission equal to the cashback, which is what a migrated accrual locks (the v1 rate as
/// its commission rate), so that a later cancel or refund reverses exactly what v1 booked.
/// v1 had no hold (the window ends at the order time) and no lines (one implicit line holds
/// the amount). History rows are derived from the journal entries.
enum LegacyAccruals {
    static func convert(_ db: Database) throws {
        let merchants = try Row.fetchAll(
            db, sql: "SELECT id, shopper_rate_bps, created_ms FROM merchants ORDER BY id")
        for merchant in merchants {
            let merchantID: String = merchant["id"]
            let currentRate: Int64 = merchant["shopper_rate_bps"]
            let used = try Row.fetchAll(
                db,
                sql: """
                    SELECT rate_bps, MIN(id) AS first_id, MIN(created_ms) AS first_ms
                    FROM accruals WHERE merchant_id = ? GROUP BY rate_bps ORDER BY first_id
                    """,
                arguments: [merchantID])
            var versions: [(rate: Int64, publishedMs: Int64)] = used.map {
                (rate: $0["rate_bps"], publishedMs: $0["first_ms"])
            }
            if versions.last?.rate != currentRate {
                versions.append((currentRate, merchant["created_ms"]))
            }
            for (index, version) in versions.enumerated() {
                try RuleSetsTable.insert(
                    db, merchantID: merchantID, version: Int64(index + 1),
                    rules: .flat(rateBasisPoints: version.rate),
                    nowMilliseconds: version.publishedMs)
            }
            let versionOfRate = Dictionary(
                versions.enumerated().map { ($0.element.rate, Int64($0.offset + 1)) },
                uniquingKeysWith: { first, _ in first })
            try Self.convertAccruals(db, merchantID: merchantID, versionOfRate: versionOfRate)
        }
    }

    private static func convertAccruals(
        _ db: Database,
        merchantID: String,
        versionOfRate: [Int64: Int64]
    ) throws {
        let accruals = try Row.fetchAll(
            db,
            sql: """
                SELECT id, eligible_minor, rate_bps, cashback_minor, state, ordered_at_ms
                FROM accruals WHERE merchant_id = ? ORDER BY id
                """,
            arguments: [merchantID])
        for accrual in accruals {
            let rate: Int64 = accrual["rate_bps"]
            guard let version = versionOfRate[rate] else {
                preconditionFailure("every rate in use has a version")
            }
            let order: OrderPricingInput
            do {
                order = try OrderPricingInput(
                    amountMinorUnits: accrual["eligible_minor"], lines: [], segments: [],
                    orderedAtMilliseconds: accrual["ordered_at_ms"], ruleVersion: version)
            } catch {
                throw LedgerStoreError(
                    .corruptRow, "v1 accrual \(accrual["id"] as Int64) is out of its limits",
                    cause: error)
            }
            let explanation = Pricing.price(
                order, rules: .flat(rateBasisPoints: rate), version: version,
                commissionBasisPoints: rate)
            let cashback: Int64 = accrual["cashback_minor"]
            guard explanation.cashbackMinorUnits == cashback else {
                throw LedgerStoreError(
                    .corruptRow,
                    "v1 accrual \(accrual["id"] as Int64) holds cashback \(cashback), but its "
                        + "rate gives \(explanation.cashbackMinorUnits)")
            }
            try db.execute(
                sql: """
                    UPDATE accruals SET eligible_now_minor = eligible_minor, rule_version = ?,
                        first_cashback_minor = cashback_minor, hold_ends_at_ms = ordered_at_ms,
                        commission_bps = rate_bps, commission_minor = cashback_minor, pricing = ?
                    WHERE id = ?
                    """,
                arguments: [
                    version, try StoredJSON.encode(StoredPricing(order: order, explanation: explanation)),
                    accrual["id"] as Int64,
                ])
        }
        try Self.deriveHistory(db, merchantID: merchantID)
        // v1 had no spending and no expiry: a confirmed accrual's cashback is all available,
        // as a lot that never expires.
        try db.execute(
            sql: """
                INSERT INTO lots (member_id, currency, accrual_id, amount_minor, remaining_minor,
                                  expires_at_ms, created_ms)
                SELECT member_id, currency, id, cashback_minor, cashback_minor, NULL, updated_ms
                FROM accruals WHERE merchant_id = ? AND state = 2 AND cashback_minor > 0
                ORDER BY id
                """,
            arguments: [merchantID])
    }

    /// One history row per v1 journal entry of the merchant's accruals.
    private static func deriveHistory(_ db: Database, merchantID: String) throws {
        try db.execute(
            sql: """
                INSERT INTO accrual_events (accrual_id, kind, state, eligible_minor,
                    cashback_minor, cashback_delta_minor, debt_minor, idempotency_key, reason,
                    created_ms)
                SELECT a.id, e.kind,
                       CASE e.kind WHEN 'accrue' THEN 1 WHEN 'confirm' THEN 2 ELSE 3 END,
                       a.eligible_minor,
                       CASE e.kind WHEN 'cancel' THEN 0 ELSE a.cashback_minor END,
                       CASE e.kind WHEN 'accrue' THEN a.cashback_minor
                                   WHEN 'confirm' THEN 0 ELSE -a.cashback_minor END,
                       0, '', '', e.created_ms
                FROM journal_entries AS e JOIN accruals AS a ON a.id = e.accrual_id
                WHERE a.merchant_id = ?
                ORDER BY e.id
                """,
            arguments: [merchantID])
    }
}
