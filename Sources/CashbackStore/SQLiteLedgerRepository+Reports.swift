import CashbackCore
import CashbackRepository
import GRDB

extension SQLiteLedgerRepository {
    /// A member's history, newest first, from a reader snapshot.
    /// See `LedgerRepository.history(memberID:currency:before:limit:)`.
    public func history(
        memberID: String, currency: CurrencyCode, before: HistoryCursor?, limit: Int
    ) async throws -> [HistoryEntry] {
        precondition(limit > 0 && limit <= LedgerLimits.historyPageMax)
        return try await self.pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: Self.historySQL),
                arguments: [
                    "member": memberID, "currency": currency.rawValue,
                    "at": before?.atMilliseconds, "source": before?.source ?? 0,
                    "id": before?.id ?? 0, "limit": limit,
                ]
            ).map { row in
                let at: Int64 = row["at_ms"]
                let source: Int64 = row["source"]
                let id: Int64 = row["id"]
                let kind: String = row["kind"]
                // `source_id` is a redemption's or a withdrawal's id, as the entry's kind says.
                let sourceID: Int64 = row["source_id"] ?? 0
                let sourceTable = JournalEntryKind(rawValue: kind)?.sourceTable
                return HistoryEntry(
                    kind: kind, atMilliseconds: at, pendingDeltaMinorUnits: row["pending"],
                    availableDeltaMinorUnits: row["available"],
                    reservedDeltaMinorUnits: row["reserved"], debtDeltaMinorUnits: row["debt"],
                    expiredDeltaMinorUnits: row["expired"], accrualID: row["accrual_id"] ?? 0,
                    merchantID: row["merchant_id"] ?? "",
                    orderID: row["order_id"] ?? "", claimID: row["claim_id"] ?? 0,
                    redemptionID: sourceTable == .redemption ? sourceID : 0,
                    withdrawalID: sourceTable == .withdrawal ? sourceID : 0,
                    explanation: row["note"],
                    cursor: HistoryCursor.text(atMilliseconds: at, source: source, id: id))
            }
        }
    }

    /// Journal entries that moved one of the member's balances in the currency (source 1),
    /// and admin actions on the member that moved none (source 0), newest first. Manual
    /// credits and debits and approved claims are journal entries whose note names the actor,
    /// so their admin actions are not listed twice.
    private static let historySQL = """
        WITH moves AS (
            SELECT e.id, e.kind, e.created_ms AS at_ms, e.accrual_id, e.source_id, e.note,
                   SUM(CASE WHEN l.account = 'member-pending' THEN l.amount_minor ELSE 0 END)
                       AS pending,
                   SUM(CASE WHEN l.account = 'member-available' THEN l.amount_minor ELSE 0 END)
                       AS available,
                   SUM(CASE WHEN l.account = 'member-reserved' THEN l.amount_minor ELSE 0 END)
                       AS reserved,
                   -SUM(CASE WHEN l.account = 'member-debt' THEN l.amount_minor ELSE 0 END)
                       AS debt,
                   SUM(CASE WHEN l.account = 'member-expired' THEN l.amount_minor ELSE 0 END)
                       AS expired
            FROM journal_lines AS l JOIN journal_entries AS e ON e.id = l.entry_id
            WHERE l.owner_id = :member AND l.currency = :currency
              AND l.account IN ('member-pending', 'member-available', 'member-reserved',
                                'member-debt', 'member-spent', 'member-withdrawn',
                                'member-expired')
            GROUP BY e.id
        ),
        merged AS (
            SELECT 1 AS source, m.id, m.kind, m.at_ms, m.accrual_id, m.source_id, m.note,
                   m.pending, m.available, m.reserved, m.debt, m.expired,
                   a.merchant_id, a.order_id, a.claim_id
            FROM moves AS m LEFT JOIN accruals AS a ON a.id = m.accrual_id
            UNION ALL
            SELECT 0, x.id, x.action, x.created_ms, NULL, NULL, x.actor || ': ' || x.reason,
                   0, 0, 0, 0, 0, NULL, NULL, x.subject_id
            FROM admin_actions AS x
            WHERE x.member_id = :member
              AND x.action NOT IN ('manual-credit', 'manual-debit', 'approve-claim')
        )
        SELECT * FROM merged
        WHERE :at IS NULL OR at_ms < :at OR (at_ms = :at AND (source < :source
              OR (source = :source AND id < :id)))
        ORDER BY at_ms DESC, source DESC, id DESC
        LIMIT :limit
        """

    /// Totals booked in `[from, to)`, from a reader snapshot.
    /// See `LedgerRepository.stats(currency:fromMilliseconds:toMilliseconds:)`.
    public func stats(currency: CurrencyCode, fromMilliseconds: Int64, toMilliseconds: Int64)
        async throws -> LedgerStats
    {
        try await self.pool.read { db in
            let arguments: StatementArguments = [
                "currency": currency.rawValue, "from": fromMilliseconds, "to": toMilliseconds,
            ]
            let rows = try Row.fetchAll(db.cachedStatement(sql: Self.statsSQL), arguments: arguments)
            var total = StatsFigures()
            var merchants: [(merchantID: String, figures: StatsFigures)] = []
            for row in rows {
                var figures = StatsFigures()
                figures.members = row["members"]
                figures.accruedMinorUnits = row["accrued"]
                figures.confirmedMinorUnits = row["confirmed"]
                figures.cancelledMinorUnits = row["cancelled"]
                figures.spentMinorUnits = row["spent"]
                figures.withdrawnMinorUnits = row["withdrawn"]
                figures.expiredMinorUnits = row["expired"]
                figures.commissionMinorUnits = row["commission"]
                figures.marginMinorUnits = row["margin"]
                if let merchant: String = row["merchant_id"] {
                    merchants.append((merchant, figures))
                } else {
                    total = figures
                }
            }
            return LedgerStats(total: total, merchants: merchants)
        }
    }

    /// The figures, as SQL aggregates over `lines`.
    private static let statsAggregates = """
        COUNT(DISTINCT CASE WHEN kind = 'accrue' AND account = 'member-pending'
                            THEN owner_id END) AS members,
        COALESCE(SUM(CASE WHEN kind = 'accrue' AND account = 'member-pending'
                          THEN amount_minor END), 0) AS accrued,
        -COALESCE(SUM(CASE WHEN kind = 'confirm' AND account = 'member-pending'
                           THEN amount_minor END), 0) AS confirmed,
        -COALESCE(SUM(CASE WHEN kind = 'cancel' AND account = 'member-pending'
                           THEN amount_minor END), 0) AS cancelled,
        COALESCE(SUM(CASE WHEN kind = 'redeem' AND account = 'member-spent'
                          THEN amount_minor END), 0) AS spent,
        COALESCE(SUM(CASE WHEN account = 'member-withdrawn' THEN amount_minor END), 0)
            AS withdrawn,
        COALESCE(SUM(CASE WHEN kind = 'expire' AND account = 'member-expired'
                          THEN amount_minor END), 0) AS expired,
        -COALESCE(SUM(CASE WHEN account = 'merchant-receivable' THEN amount_minor END), 0)
            AS commission,
        COALESCE(SUM(CASE WHEN account = 'platform-margin' THEN amount_minor END), 0) AS margin
        """

    /// One row per merchant with accrual activity in the window (by id), then the total
    /// (merchant NULL).
    private static let statsSQL = """
        WITH lines AS (
            SELECT e.kind, a.merchant_id, l.account, l.owner_id, l.amount_minor
            FROM journal_entries AS e
            JOIN journal_lines AS l ON l.entry_id = e.id
            LEFT JOIN accruals AS a ON a.id = e.accrual_id
            WHERE l.currency = :currency AND e.created_ms >= :from AND e.created_ms < :to
        )
        SELECT * FROM (
            SELECT merchant_id, \(statsAggregates) FROM lines
            WHERE merchant_id IS NOT NULL GROUP BY merchant_id
            UNION ALL
            SELECT NULL, \(statsAggregates) FROM lines
        )
        ORDER BY merchant_id IS NULL, merchant_id
        """
}
