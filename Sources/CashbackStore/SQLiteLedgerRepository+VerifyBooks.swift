import CashbackCore
import GRDB

extension SQLiteLedgerRepository {
    /// Proves the books on one consistent snapshot.
    ///
    /// Checks that every journal entry has at least two lines in one currency summing to zero;
    /// that every member's materialized pending and available balances equal the sums of the
    /// lines on those accounts, and lifetime the sum credited to available by confirmations;
    /// and, as a second witness, that pending equals the cashback of the member's pending
    /// accruals and lifetime that of the confirmed ones.
    ///
    /// Runs on a reader connection; the writer goes on meanwhile.
    ///
    /// ```swift
    /// let report = try await repository.verifyBooks()
    /// precondition(report.isBalanced, "\(report.discrepancies)")
    /// ```
    ///
    /// - Returns: What was checked and every discrepancy found.
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
        return BooksReport(
            journalEntryCount: try Self.count(db, "SELECT COUNT(*) FROM journal_entries"),
            journalLineCount: try Self.count(db, "SELECT COUNT(*) FROM journal_lines"),
            accrualCount: try Self.count(db, "SELECT COUNT(*) FROM accruals"),
            memberAccountCount: accountCount,
            discrepancies: unbalanced + mismatches
        )
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

    /// Every (member, currency) seen in the journal, the accruals or the balances, with its
    /// materialized buckets next to what the journal and the accruals say.
    private static let memberAccountsSQL = """
        WITH journal AS (
            SELECT l.owner_id AS member_id, l.currency AS currency,
                   SUM(CASE WHEN l.account = :pendingAccount THEN l.amount_minor ELSE 0 END)
                       AS pending,
                   SUM(CASE WHEN l.account = :availableAccount THEN l.amount_minor ELSE 0 END)
                       AS available,
                   SUM(CASE WHEN l.account = :availableAccount AND e.kind = :confirmKind
                            THEN l.amount_minor ELSE 0 END) AS lifetime
            FROM journal_lines AS l JOIN journal_entries AS e ON e.id = l.entry_id
            WHERE l.account IN (:pendingAccount, :availableAccount)
            GROUP BY l.owner_id, l.currency
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
        )
        SELECT a.member_id, a.currency,
               COALESCE(b.pending_minor, 0) AS held_pending,
               COALESCE(b.available_minor, 0) AS held_available,
               COALESCE(b.lifetime_minor, 0) AS held_lifetime,
               COALESCE(j.pending, 0) AS journal_pending,
               COALESCE(j.available, 0) AS journal_available,
               COALESCE(j.lifetime, 0) AS journal_lifetime,
               COALESCE(r.pending, 0) AS accrued_pending,
               COALESCE(r.lifetime, 0) AS accrued_lifetime
        FROM accounts AS a
        LEFT JOIN balances AS b ON b.member_id = a.member_id AND b.currency = a.currency
        LEFT JOIN journal AS j ON j.member_id = a.member_id AND j.currency = a.currency
        LEFT JOIN accrued AS r ON r.member_id = a.member_id AND r.currency = a.currency
        ORDER BY a.member_id, a.currency
        """

    /// The member accounts compared, and every bucket that disagrees with its evidence.
    private static func balanceMismatches(_ db: Database) throws -> (Int, [BooksDiscrepancy]) {
        let statement = try db.cachedStatement(sql: Self.memberAccountsSQL)
        let arguments: StatementArguments = [
            "pendingAccount": LedgerAccount.memberPending.rawValue,
            "availableAccount": LedgerAccount.memberAvailable.rawValue,
            "confirmKind": JournalEntryKind.confirm.rawValue,
            "pendingState": Int64(AccrualState.pending.rawValue),
            "confirmedState": Int64(AccrualState.confirmed.rawValue),
        ]
        // A cursor, not an array: the number of members is unbounded, the memory is not.
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        var accountCount = 0
        var mismatches: [BooksDiscrepancy] = []
        while let row = try rows.next() {
            accountCount += 1
            let comparisons: [(BalanceBucket, BooksEvidence, String, String)] = [
                (.pending, .journal, "held_pending", "journal_pending"),
                (.available, .journal, "held_available", "journal_available"),
                (.lifetime, .journal, "held_lifetime", "journal_lifetime"),
                (.pending, .accruals, "held_pending", "accrued_pending"),
                (.lifetime, .accruals, "held_lifetime", "accrued_lifetime"),
            ]
            for (bucket, evidence, heldColumn, expectedColumn) in comparisons {
                let held = try row.decode(Int64.self, forColumn: heldColumn)
                let expected = try row.decode(Int64.self, forColumn: expectedColumn)
                guard held != expected else { continue }
                mismatches.append(
                    .balanceMismatch(
                        memberID: try row.decode(String.self, forColumn: "member_id"),
                        currency: try row.decode(String.self, forColumn: "currency"),
                        bucket: bucket,
                        evidence: evidence,
                        materializedMinorUnits: held,
                        expectedMinorUnits: expected
                    )
                )
            }
        }
        return (accountCount, mismatches)
    }
}
