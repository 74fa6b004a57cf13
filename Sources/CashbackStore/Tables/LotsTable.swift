import CashbackCore
import CashbackRepository
import GRDB

/// SQL for `lots` (confirmed cashback with its expiry) and `lot_draws` (what a redemption or
/// a withdrawal took from each lot).
enum LotsTable {
    /// What one accrual's lots hold.
    struct AccrualLots: Hashable {
        /// Left to spend: part of the available balance.
        var remainingMinorUnits: Int64 = 0
        /// Expired unused, and not taken back by a clawback since.
        var expiredMinorUnits: Int64 = 0
    }

    /// One draw on one lot.
    struct Draw: Hashable {
        var lotID: Int64
        var amountMinorUnits: Int64
    }

    /// What draws refer to.
    enum Source: String {
        case redemption
        case withdrawal
    }

    /// Adds a lot of `amount` (> 0) for the member, expiring at `expiresAt` (nil: never).
    static func insert(
        _ db: Database,
        memberID: String,
        currency: CurrencyCode,
        accrualID: Int64?,
        amountMinorUnits amount: Int64,
        expiresAtMilliseconds expiresAt: Int64?,
        nowMilliseconds: Int64
    ) throws {
        precondition(amount > 0, "a lot holds something")
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO lots (member_id, currency, accrual_id, amount_minor, remaining_minor,
                                  expires_at_ms, created_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
        try statement.execute(arguments: [
            memberID, currency.rawValue, accrualID, amount, amount, expiresAt, nowMilliseconds,
        ])
    }

    /// Takes `amount` from the member's lots: those of `preferredAccrualID` first (a clawback
    /// takes back from the accrual's own lot), then soonest expiry first, never-expiring last,
    /// oldest first among equals.
    ///
    /// - Returns: The draws, which sum to `amount`.
    /// - Throws: `LedgerStoreError.balanceOutOfRange` if the lots hold less than `amount`:
    ///   they must sum to the available balance, which the caller checked.
    static func draw(
        _ db: Database,
        memberID: String,
        currency: CurrencyCode,
        amountMinorUnits amount: Int64,
        preferredAccrualID: Int64? = nil
    ) throws -> [Draw] {
        guard amount > 0 else { return [] }
        let statement = try db.cachedStatement(
            sql: """
                SELECT id, remaining_minor FROM lots
                WHERE member_id = ? AND currency = ? AND remaining_minor > 0
                ORDER BY (accrual_id IS ? AND ? IS NOT NULL) DESC,
                         expires_at_ms IS NULL, expires_at_ms, id
                """)
        let rows = try Row.fetchCursor(
            statement,
            arguments: [memberID, currency.rawValue, preferredAccrualID, preferredAccrualID])
        var left = amount
        var draws: [Draw] = []
        while left > 0, let row = try rows.next() {
            let take = min(left, row["remaining_minor"] as Int64)
            draws.append(Draw(lotID: row["id"], amountMinorUnits: take))
            left -= take
        }
        guard left == 0 else {
            throw LedgerStoreError(
                .balanceOutOfRange,
                "member '\(memberID)' \(currency) lots hold \(amount - left), not \(amount)")
        }
        let update = try db.cachedStatement(
            sql: "UPDATE lots SET remaining_minor = remaining_minor - ? WHERE id = ?")
        for draw in draws {
            try update.execute(arguments: [draw.amountMinorUnits, draw.lotID])
        }
        return draws
    }

    /// Records what `source` drew.
    static func recordDraws(_ db: Database, _ source: Source, id: Int64, _ draws: [Draw]) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO lot_draws (source_kind, source_id, lot_id, amount_minor, returned_minor)
                VALUES (?, ?, ?, ?, 0)
                """)
        for draw in draws {
            try statement.execute(arguments: [source.rawValue, id, draw.lotID, draw.amountMinorUnits])
        }
    }

    /// Gives `amount` back to the lots `source` drew from, in the order drawn (so the lots
    /// that expire soonest are refilled first), each with its own expiry.
    static func returnDraws(
        _ db: Database, _ source: Source, id: Int64, amountMinorUnits amount: Int64
    ) throws {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT d.lot_id, d.amount_minor - d.returned_minor AS open
                    FROM lot_draws AS d JOIN lots AS l ON l.id = d.lot_id
                    WHERE d.source_kind = ? AND d.source_id = ?
                      AND d.amount_minor > d.returned_minor
                    ORDER BY l.expires_at_ms IS NULL, l.expires_at_ms, l.id
                    """),
            arguments: [source.rawValue, id])
        let (parts, left) = split(amount, over: rows.map { ($0["lot_id"], $0["open"]) })
        precondition(left == 0, "a \(source) gives back at most what it drew")
        let draw = try db.cachedStatement(
            sql: """
                UPDATE lot_draws SET returned_minor = returned_minor + ?
                WHERE source_kind = ? AND source_id = ? AND lot_id = ?
                """)
        let lot = try db.cachedStatement(
            sql: "UPDATE lots SET remaining_minor = remaining_minor + ? WHERE id = ?")
        for (lotID, give) in parts {
            try draw.execute(arguments: [give, source.rawValue, id, lotID])
            try lot.execute(arguments: [give, lotID])
        }
    }

    /// The amount that expires soonest among the member's lots, and when; nil if none expires.
    static func nextExpiry(_ db: Database, memberID: String, currency: CurrencyCode) throws
        -> (amountMinorUnits: Int64, atMilliseconds: Int64)?
    {
        let statement = try db.cachedStatement(
            sql: """
                SELECT expires_at_ms, SUM(remaining_minor) AS amount FROM lots
                WHERE member_id = ? AND currency = ? AND remaining_minor > 0
                  AND expires_at_ms IS NOT NULL
                GROUP BY expires_at_ms ORDER BY expires_at_ms LIMIT 1
                """)
        guard let row = try Row.fetchOne(statement, arguments: [memberID, currency.rawValue]) else {
            return nil
        }
        // By position (see `BalancesTable.fetch`): amount, then the expiry.
        return (row[1], row[0])
    }

    /// Up to `limit` lots with something left that expired at or before `asOf`.
    static func expired(_ db: Database, asOfMilliseconds asOf: Int64, limit: Int) throws
        -> [(lotID: Int64, memberID: String, currency: CurrencyCode, amountMinorUnits: Int64)]
    {
        let statement = try db.cachedStatement(
            sql: """
                SELECT id, member_id, currency, remaining_minor FROM lots
                WHERE remaining_minor > 0 AND expires_at_ms IS NOT NULL AND expires_at_ms <= ?
                ORDER BY member_id, currency, id LIMIT ?
                """)
        return try Row.fetchAll(statement, arguments: [asOf, limit]).map { row in
            (
                row["id"], row["member_id"], try StoredValues.currency(row, column: "currency"),
                row["remaining_minor"]
            )
        }
    }

    /// Expires what is left of lot `lotID`: it moves from `remaining_minor` to `expired_minor`.
    static func expire(_ db: Database, lotID: Int64) throws {
        try db.cachedStatement(
            sql: """
                UPDATE lots SET expired_minor = expired_minor + remaining_minor, remaining_minor = 0
                WHERE id = ?
                """
        ).execute(arguments: [lotID])
    }

    /// The sums of one accrual's lots, through `lots_by_accrual` (migration v6).
    static let ofAccrualSQL = """
        SELECT COALESCE(SUM(remaining_minor), 0), COALESCE(SUM(expired_minor), 0)
        FROM lots WHERE accrual_id = ?
        """

    /// What the lots of accrual `accrualID` hold: left to spend, and expired unused.
    static func ofAccrual(_ db: Database, accrualID: Int64) throws -> AccrualLots {
        let statement = try db.cachedStatement(sql: Self.ofAccrualSQL)
        let row = try Row.fetchOne(statement, arguments: [accrualID])
        return AccrualLots(
            remainingMinorUnits: row?[0] ?? 0, expiredMinorUnits: row?[1] ?? 0)
    }

    /// Takes `amount` back from what the lots of accrual `accrualID` expired (a clawback of
    /// cashback that expired unused), oldest lot first.
    ///
    /// - Throws: `LedgerStoreError.balanceOutOfRange` if they expired less than `amount`,
    ///   which the caller read (``ofAccrual(_:accrualID:)``).
    static func takeBackExpired(
        _ db: Database, accrualID: Int64, amountMinorUnits amount: Int64
    ) throws {
        guard amount > 0 else { return }
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT id, expired_minor FROM lots WHERE accrual_id = ? AND expired_minor > 0"
                    + " ORDER BY id"),
            arguments: [accrualID])
        let (parts, left) = split(amount, over: rows.map { ($0["id"], $0["expired_minor"]) })
        guard left == 0 else {
            throw LedgerStoreError(
                .balanceOutOfRange,
                "the lots of accrual \(accrualID) expired \(amount - left), not \(amount)")
        }
        let update = try db.cachedStatement(
            sql: "UPDATE lots SET expired_minor = expired_minor - ? WHERE id = ?")
        for (lotID, take) in parts {
            try update.execute(arguments: [take, lotID])
        }
    }

    /// Splits `amount` over `rooms` in their order, each part at most its room: the parts, by
    /// lot id (none of 0), and what no room took. (`draw` does the same over a cursor, which
    /// stops reading once the amount is placed.)
    private static func split(_ amount: Int64, over rooms: [(lotID: Int64, room: Int64)])
        -> (parts: [(lotID: Int64, amount: Int64)], left: Int64)
    {
        var left = amount
        var parts: [(lotID: Int64, amount: Int64)] = []
        for (lotID, room) in rooms where left > 0 && room > 0 {
            let part = min(left, room)
            parts.append((lotID, part))
            left -= part
        }
        return (parts, left)
    }
}
