import CashbackCore
import CashbackRepository
import GRDB

extension SQLiteLedgerRepository {
    /// Checks every invariant of the books on one consistent snapshot.
    ///
    /// - every journal entry has at least two lines in one currency summing to zero;
    /// - every member balance equals its journal lines (pending, available, debt; lifetime: the
    ///   confirmations and adjustments on available and debt), pending equals the cashback of
    ///   the member's pending accruals and lifetime that of the confirmed ones;
    /// - no balance bucket is negative (available and debt included);
    /// - each (merchant, order id) is accrued once and each idempotency key applied once;
    /// - each accrual's cashback is at most what its own rule version gives for what is left
    ///   of the order, and its member journal lines add up to its cashback (0 if cancelled).
    ///
    /// Runs on a reader connection; the writer goes on meanwhile.
    ///
    /// ```swift
    /// let report = try await repository.verifyBooks()
    /// precondition(report.isBalanced, "\(report.discrepancies)")
    /// ```
    ///
    /// - Throws: A database error (a sum that overflows `Int64` is one: SQLite's `SUM` refuses
    ///   to wrap).
    public func verifyBooks() async throws -> BooksReport {
        try await self.pool.read { db in
            try BooksVerification.run(db)
        }
    }
}

/// The queries behind `verifyBooks()`.
enum BooksVerification {
    static func run(_ db: Database) throws -> BooksReport {
        let unbalanced = try Self.unbalancedEntries(db)
        let (accountCount, mismatches) = try Self.balanceMismatches(db)
        let (accrualCount, accrualBreaches) = try AccrualVerification.run(db)
        return BooksReport(
            journalEntryCount: try Self.count(db, "SELECT COUNT(*) FROM journal_entries"),
            journalLineCount: try Self.count(db, "SELECT COUNT(*) FROM journal_lines"),
            accrualCount: accrualCount,
            memberAccountCount: accountCount,
            discrepancies: unbalanced + mismatches + (try Self.duplicates(db))
                + (try Self.settlements(db)) + (try Self.claimDecisions(db)) + accrualBreaches
                + (try Self.lots(db))
        )
    }

    /// Claims decided more than once (in the audit trail), and claims whose accrual link
    /// disagrees with their state: approved ⇔ an accrual that points back at the claim.
    private static func claimDecisions(_ db: Database) throws -> [BooksDiscrepancy] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT c.id, c.state,
                       (SELECT COUNT(*) FROM admin_actions AS x
                        WHERE x.subject_id = c.id
                          AND x.action IN ('approve-claim', 'reject-claim')) AS decisions,
                       EXISTS (SELECT 1 FROM accruals AS a
                               WHERE a.id = c.accrual_id AND a.claim_id = c.id) AS linked,
                       (SELECT COUNT(*) FROM accruals AS a WHERE a.claim_id = c.id) AS pointing
                FROM claims AS c
                WHERE decisions > 1
                   OR (c.state = 1 AND decisions != 0)
                   OR (c.state IN (2, 3) AND decisions != 1)
                   OR (c.state = 2 AND (NOT linked OR pointing != 1))
                   OR (c.state != 2 AND pointing != 0)
                ORDER BY c.id
                """
        ).map { row in
            let raw: Int64 = row["state"]
            return .claimDecision(
                claimID: row["id"],
                state: UInt8(exactly: raw).flatMap(ClaimState.init(rawValue:))?.description
                    ?? "in state \(raw)",
                decisions: row["decisions"], linked: row["linked"])
        }
    }

    /// Withdrawals whose completion and failure entries disagree with their state: a
    /// withdrawal is completed or failed at most once, and its state says which.
    private static func settlements(_ db: Database) throws -> [BooksDiscrepancy] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT w.id, w.state,
                       COUNT(CASE WHEN e.kind = 'complete-withdrawal' THEN 1 END) AS completions,
                       COUNT(CASE WHEN e.kind = 'fail-withdrawal' THEN 1 END) AS failures
                FROM withdrawals AS w
                LEFT JOIN journal_entries AS e ON e.source_id = w.id
                    AND e.kind IN ('complete-withdrawal', 'fail-withdrawal')
                GROUP BY w.id
                HAVING completions + failures > 1
                    OR (w.state = 1 AND completions + failures != 0)
                    OR (w.state = 2 AND completions != 1)
                    OR (w.state = 3 AND failures != 1)
                ORDER BY w.id
                """
        ).map { row in
            let raw: Int64 = row["state"]
            let state =
                UInt8(exactly: raw).flatMap(WithdrawalState.init(rawValue:))?.description
                ?? "in state \(raw)"
            return .withdrawalSettlement(
                withdrawalID: row["id"], state: state, completions: row["completions"],
                failures: row["failures"])
        }
    }

    /// Lots whose remaining and expired parts do not fit their amount, and member accounts
    /// whose lots record more expired cashback than their expired balance (lots expired before
    /// migration v6 record none, so the lots may record less).
    private static func lots(_ db: Database) throws -> [BooksDiscrepancy] {
        let lots = try Row.fetchAll(
            db,
            sql: """
                SELECT id, amount_minor, remaining_minor, expired_minor FROM lots
                WHERE remaining_minor < 0 OR expired_minor < 0
                   OR remaining_minor + expired_minor > amount_minor
                ORDER BY id
                """
        ).map { row in
            BooksDiscrepancy.lotOutOfRange(
                lotID: row["id"], amountMinorUnits: row["amount_minor"],
                remainingMinorUnits: row["remaining_minor"],
                expiredMinorUnits: row["expired_minor"])
        }
        let accounts = try Row.fetchAll(
            db,
            sql: """
                SELECT l.member_id, l.currency, SUM(l.expired_minor) AS lots,
                       COALESCE(b.expired_minor, 0) AS held
                FROM lots AS l
                LEFT JOIN balances AS b ON b.member_id = l.member_id AND b.currency = l.currency
                GROUP BY l.member_id, l.currency
                HAVING SUM(l.expired_minor) > COALESCE(b.expired_minor, 0)
                ORDER BY l.member_id, l.currency
                """
        ).map { row in
            BooksDiscrepancy.expiredLotsAboveBalance(
                memberID: row["member_id"], currency: row["currency"], lotsMinorUnits: row["lots"],
                heldMinorUnits: row["held"])
        }
        return lots + accounts
    }

    private static func count(_ db: Database, _ sql: String) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: sql)) ?? 0
    }

    /// Entries with fewer than two lines, more than one currency, or a non-zero sum.
    private static func unbalancedEntries(_ db: Database) throws -> [BooksDiscrepancy] {
        let statement = try db.cachedStatement(
            sql: """
                SELECT e.id AS entry_id,
                       COUNT(l.id) AS line_count,
                       COUNT(DISTINCT l.currency) AS currency_count,
                       COALESCE(SUM(l.amount_minor), 0) AS total
                FROM journal_entries AS e
                LEFT JOIN journal_lines AS l ON l.entry_id = e.id
                GROUP BY e.id
                HAVING line_count < 2 OR currency_count != 1 OR total != 0
                ORDER BY e.id
                """
        )
        return try Row.fetchAll(statement).map { row in
            .unbalancedEntry(
                entryID: try row.decode(Int64.self, forColumn: "entry_id"),
                lineCount: try row.decode(Int.self, forColumn: "line_count"),
                currencyCount: try row.decode(Int.self, forColumn: "currency_count"),
                sumMinorUnits: try row.decode(Int64.self, forColumn: "total")
            )
        }
    }

    /// Orders accrued twice, and idempotency keys applied twice (in the key table, and among
    /// the adjustments of the accrual history).
    private static func duplicates(_ db: Database) throws -> [BooksDiscrepancy] {
        let orders = try Row.fetchAll(
            db,
            sql: """
                SELECT merchant_id, order_id, COUNT(*) AS n FROM accruals
                GROUP BY merchant_id, order_id HAVING n > 1 ORDER BY merchant_id, order_id
                """
        ).map { row in
            BooksDiscrepancy.duplicateOrder(
                merchantID: row["merchant_id"], orderID: row["order_id"], count: row["n"])
        }
        let keys = try Row.fetchAll(
            db,
            sql: """
                SELECT method, key, COUNT(*) AS n FROM idempotency_keys
                GROUP BY method, key HAVING n > 1
                UNION ALL
                SELECT 'Accruals/Adjust', idempotency_key, COUNT(*) AS n FROM accrual_events
                WHERE kind = 'adjust' GROUP BY idempotency_key HAVING n > 1
                ORDER BY 1, 2
                """
        ).map { row in
            BooksDiscrepancy.duplicateIdempotencyKey(method: row[0], key: row[1], count: row[2])
        }
        return orders + keys
    }

    /// Every (member, currency) seen in the journal, the accruals or the balances, with its
    /// materialized buckets next to what the journal and the accruals say.
    private static let memberAccountsSQL = """
        WITH journal AS (
            SELECT l.owner_id AS member_id, l.currency AS currency,
                   SUM(CASE WHEN l.account = :pendingAccount THEN l.amount_minor ELSE 0 END)
                       AS pending,
                   SUM(CASE WHEN l.account = :availableAccount THEN l.amount_minor ELSE 0 END)
                       AS available,
                   -SUM(CASE WHEN l.account = :debtAccount THEN l.amount_minor ELSE 0 END)
                       AS debt,
                   SUM(CASE WHEN l.account IN (:availableAccount, :debtAccount, 'member-expired')
                             AND e.kind IN (:confirmKind, :adjustKind)
                            THEN l.amount_minor ELSE 0 END) AS lifetime,
                   SUM(CASE WHEN l.account = 'member-reserved' THEN l.amount_minor ELSE 0 END)
                       AS reserved,
                   SUM(CASE WHEN l.account = 'member-spent' AND e.kind = 'redeem'
                            THEN l.amount_minor ELSE 0 END) AS spent,
                   SUM(CASE WHEN l.account = 'member-withdrawn' THEN l.amount_minor ELSE 0 END)
                       AS withdrawn,
                   SUM(CASE WHEN l.account = 'member-expired' THEN l.amount_minor ELSE 0 END)
                       AS expired
            FROM journal_lines AS l JOIN journal_entries AS e ON e.id = l.entry_id
            WHERE l.account IN (:pendingAccount, :availableAccount, :debtAccount,
                                'member-reserved', 'member-spent', 'member-withdrawn',
                                'member-expired')
            GROUP BY l.owner_id, l.currency
        ),
        lotted AS (
            SELECT member_id, currency, SUM(remaining_minor) AS available
            FROM lots GROUP BY member_id, currency
        ),
        paid AS (
            SELECT member_id, currency,
                   SUM(CASE WHEN state = 1 THEN amount_minor ELSE 0 END) AS reserved,
                   SUM(CASE WHEN state = 2 THEN amount_minor ELSE 0 END) AS withdrawn
            FROM withdrawals GROUP BY member_id, currency
        ),
        redeemed AS (
            SELECT member_id, currency, SUM(amount_minor) AS spent
            FROM redemptions GROUP BY member_id, currency
        ),
        accrued AS (
            SELECT member_id, currency,
                   SUM(CASE WHEN state = :pendingState THEN cashback_minor ELSE 0 END) AS pending,
                   SUM(CASE WHEN state = :confirmedState THEN cashback_minor ELSE 0 END) AS lifetime
            FROM accruals
            GROUP BY member_id, currency
        ),
        accounts AS (
            SELECT member_id, currency FROM journal
            UNION SELECT member_id, currency FROM accrued
            UNION SELECT member_id, currency FROM balances
            UNION SELECT member_id, currency FROM lotted
            UNION SELECT member_id, currency FROM paid
            UNION SELECT member_id, currency FROM redeemed
        )
        SELECT a.member_id, a.currency,
               COALESCE(b.pending_minor, 0) AS held_pending,
               COALESCE(b.available_minor, 0) AS held_available,
               COALESCE(b.lifetime_minor, 0) AS held_lifetime,
               COALESCE(b.debt_minor, 0) AS held_debt,
               COALESCE(b.reserved_minor, 0) AS held_reserved,
               COALESCE(b.spent_minor, 0) AS held_spent,
               COALESCE(b.withdrawn_minor, 0) AS held_withdrawn,
               COALESCE(b.expired_minor, 0) AS held_expired,
               COALESCE(j.reserved, 0) AS journal_reserved,
               COALESCE(j.spent, 0) AS journal_spent,
               COALESCE(j.withdrawn, 0) AS journal_withdrawn,
               COALESCE(j.expired, 0) AS journal_expired,
               COALESCE(t.available, 0) AS lotted_available,
               COALESCE(w.reserved, 0) AS paid_reserved,
               COALESCE(w.withdrawn, 0) AS paid_withdrawn,
               COALESCE(d.spent, 0) AS redeemed_spent,
               COALESCE(j.pending, 0) AS journal_pending,
               COALESCE(j.available, 0) AS journal_available,
               COALESCE(j.lifetime, 0) AS journal_lifetime,
               COALESCE(j.debt, 0) AS journal_debt,
               COALESCE(r.pending, 0) AS accrued_pending,
               COALESCE(r.lifetime, 0) AS accrued_lifetime
        FROM accounts AS a
        LEFT JOIN balances AS b ON b.member_id = a.member_id AND b.currency = a.currency
        LEFT JOIN journal AS j ON j.member_id = a.member_id AND j.currency = a.currency
        LEFT JOIN accrued AS r ON r.member_id = a.member_id AND r.currency = a.currency
        LEFT JOIN lotted AS t ON t.member_id = a.member_id AND t.currency = a.currency
        LEFT JOIN paid AS w ON w.member_id = a.member_id AND w.currency = a.currency
        LEFT JOIN redeemed AS d ON d.member_id = a.member_id AND d.currency = a.currency
        ORDER BY a.member_id, a.currency
        """

    private static let comparisons: [(BalanceBucket, BooksEvidence, String, String)] = [
        (.pending, .journal, "held_pending", "journal_pending"),
        (.available, .journal, "held_available", "journal_available"),
        (.debt, .journal, "held_debt", "journal_debt"),
        (.lifetime, .journal, "held_lifetime", "journal_lifetime"),
        (.pending, .accruals, "held_pending", "accrued_pending"),
        (.lifetime, .accruals, "held_lifetime", "accrued_lifetime"),
        (.reserved, .journal, "held_reserved", "journal_reserved"),
        (.spent, .journal, "held_spent", "journal_spent"),
        (.withdrawn, .journal, "held_withdrawn", "journal_withdrawn"),
        (.expired, .journal, "held_expired", "journal_expired"),
        (.available, .lots, "held_available", "lotted_available"),
        (.reserved, .withdrawals, "held_reserved", "paid_reserved"),
        (.withdrawn, .withdrawals, "held_withdrawn", "paid_withdrawn"),
        (.spent, .redemptions, "held_spent", "redeemed_spent"),
    ]

    private static let buckets: [(BalanceBucket, String)] = [
        (.pending, "held_pending"), (.available, "held_available"),
        (.lifetime, "held_lifetime"), (.debt, "held_debt"), (.reserved, "held_reserved"),
        (.spent, "held_spent"), (.withdrawn, "held_withdrawn"), (.expired, "held_expired"),
    ]

    /// The member accounts compared, and every bucket that disagrees with its evidence or is
    /// negative.
    private static func balanceMismatches(_ db: Database) throws -> (Int, [BooksDiscrepancy]) {
        let statement = try db.cachedStatement(sql: Self.memberAccountsSQL)
        let arguments: StatementArguments = [
            "pendingAccount": LedgerAccount.memberPending.rawValue,
            "availableAccount": LedgerAccount.memberAvailable.rawValue,
            "debtAccount": LedgerAccount.memberDebt.rawValue,
            "confirmKind": JournalEntryKind.confirm.rawValue,
            "adjustKind": JournalEntryKind.adjust.rawValue,
            "pendingState": Int64(AccrualState.pending.rawValue),
            "confirmedState": Int64(AccrualState.confirmed.rawValue),
        ]
        // A cursor, not an array: the number of members is unbounded, the memory is not.
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        var accountCount = 0
        var breaches: [BooksDiscrepancy] = []
        while let row = try rows.next() {
            accountCount += 1
            let member = try row.decode(String.self, forColumn: "member_id")
            let currency = try row.decode(String.self, forColumn: "currency")
            for (bucket, column) in Self.buckets {
                let held = try row.decode(Int64.self, forColumn: column)
                if held < 0 {
                    breaches.append(
                        .negativeBalance(
                            memberID: member, currency: currency, bucket: bucket, minorUnits: held))
                }
            }
            for (bucket, evidence, heldColumn, expectedColumn) in Self.comparisons {
                let held = try row.decode(Int64.self, forColumn: heldColumn)
                let expected = try row.decode(Int64.self, forColumn: expectedColumn)
                guard held != expected else { continue }
                breaches.append(
                    .balanceMismatch(
                        memberID: member, currency: currency, bucket: bucket,
                        evidence: evidence, materializedMinorUnits: held,
                        expectedMinorUnits: expected))
            }
        }
        return (accountCount, breaches)
    }
}

/// The per-accrual checks of `verifyBooks()`: each accrual priced again with its own rule
/// version, and its member journal lines summed.
enum AccrualVerification {
    static func run(_ db: Database) throws -> (Int, [BooksDiscrepancy]) {
        let journal = try db.cachedStatement(
            sql: """
                SELECT
                    COALESCE(SUM(CASE WHEN l.account IN (:pending, :available, :debt, :expired)
                                 THEN l.amount_minor END), 0) AS member,
                    COALESCE(SUM(CASE WHEN l.account = :receivable THEN l.amount_minor END), 0)
                        AS receivable,
                    COALESCE(SUM(CASE WHEN l.account = :margin THEN l.amount_minor END), 0)
                        AS margin
                FROM journal_entries AS e JOIN journal_lines AS l ON l.entry_id = e.id
                WHERE e.accrual_id = :accrual
                """)
        var rules: [String: RuleSet] = [:]
        var count = 0
        var breaches: [BooksDiscrepancy] = []
        let rows = try AccrualsTable.cursor(db)
        while let row = try rows.next() {
            count += 1
            let accrualID = try row.decode(Int64.self, forColumn: "id")
            let record: AccrualRecord
            do {
                record = try AccrualsTable.record(row).record
            } catch {
                breaches.append(.unreadableAccrual(accrualID: accrualID, reason: "\(error)"))
                continue
            }
            let ruleKey = "\(record.ruleVersion):\(record.merchantID)"
            if rules[ruleKey] == nil {
                rules[ruleKey] = try RuleSetsTable.fetch(
                    db, merchantID: record.merchantID, version: record.ruleVersion)?.rules
            }
            guard let ruleSet = rules[ruleKey] else {
                breaches.append(
                    .unreadableAccrual(
                        accrualID: accrualID,
                        reason: "rule version \(record.ruleVersion) is missing"))
                continue
            }
            let allowed = Pricing.price(
                record.order, rules: ruleSet, version: record.ruleVersion,
                commissionBasisPoints: record.explanation.commissionBasisPoints
            ).cashbackMinorUnits
            if record.cashbackMinorUnits > allowed {
                breaches.append(
                    .cashbackAboveRules(
                        accrualID: accrualID, cashbackMinorUnits: record.cashbackMinorUnits,
                        allowedMinorUnits: allowed))
            }
            let booked = try Row.fetchOne(
                journal,
                arguments: [
                    "pending": LedgerAccount.memberPending.rawValue,
                    "available": LedgerAccount.memberAvailable.rawValue,
                    "debt": LedgerAccount.memberDebt.rawValue,
                    "expired": LedgerAccount.memberExpired.rawValue,
                    "receivable": LedgerAccount.merchantReceivable.rawValue,
                    "margin": LedgerAccount.platformMargin.rawValue,
                    "accrual": accrualID,
                ])
            let live = record.state != .cancelled
            let cashback = live ? record.cashbackMinorUnits : 0
            let commission = live ? record.commissionMinorUnits : 0
            let sides: [(side: String, column: String, expected: Int64)] = [
                ("member", "member", cashback),
                (LedgerAccount.merchantReceivable.rawValue, "receivable", -commission),
                (LedgerAccount.platformMargin.rawValue, "margin", commission - cashback),
            ]
            for (side, column, expected) in sides {
                let held: Int64 = booked?[column] ?? 0
                if held != expected {
                    breaches.append(
                        .accrualJournalMismatch(
                            accrualID: accrualID, side: side, expectedMinorUnits: expected,
                            journalMinorUnits: held))
                }
            }
        }
        return (count, breaches)
    }
}
