import CashbackCore
import CashbackRepository
import GRDB

/// SQL for `redemptions`.
enum RedemptionsTable {
    static func insert(_ db: Database, _ command: RedeemCommand, nowMilliseconds: Int64) throws
        -> Int64
    {
        try db.cachedStatement(
            sql: """
                INSERT INTO redemptions (member_id, currency, amount_minor, refunded_minor,
                                         purchase_ref, created_ms)
                VALUES (?, ?, ?, 0, ?, ?)
                """
        ).execute(arguments: [
            command.memberID, command.currency.rawValue, command.amountMinorUnits,
            command.purchaseReference, nowMilliseconds,
        ])
        return db.lastInsertedRowID
    }

    /// (member, currency, amount, refunded) of redemption `id`, or nil.
    static func fetch(_ db: Database, id: Int64) throws
        -> (memberID: String, currency: CurrencyCode, amountMinorUnits: Int64, refundedMinorUnits: Int64)?
    {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT member_id, currency, amount_minor, refunded_minor
                        FROM redemptions WHERE id = ?
                        """),
                arguments: [id])
        else { return nil }
        return (
            row["member_id"], try StoredValues.currency(row, column: "currency"),
            row["amount_minor"], row["refunded_minor"]
        )
    }

    static func addRefund(_ db: Database, id: Int64, amountMinorUnits: Int64) throws {
        try db.cachedStatement(
            sql: "UPDATE redemptions SET refunded_minor = refunded_minor + ? WHERE id = ?"
        ).execute(arguments: [amountMinorUnits, id])
    }
}

/// SQL for `withdrawals`. The full account is stored for the payout; only its masked form
/// ever leaves this table.
enum WithdrawalsTable {
    static func insert(_ db: Database, _ command: WithdrawCommand, nowMilliseconds: Int64) throws
        -> WithdrawalRecord
    {
        try db.cachedStatement(
            sql: """
                INSERT INTO withdrawals (member_id, currency, amount_minor, destination_kind,
                                         destination_account, state, failure_reason, created_ms)
                VALUES (?, ?, ?, ?, ?, ?, '', ?)
                """
        ).execute(arguments: [
            command.memberID, command.currency.rawValue, command.amountMinorUnits,
            Int64(command.destination.kind.rawValue), command.destination.account,
            Int64(WithdrawalState.reserved.rawValue), nowMilliseconds,
        ])
        return WithdrawalRecord(
            withdrawalID: db.lastInsertedRowID, memberID: command.memberID,
            currency: command.currency, amountMinorUnits: command.amountMinorUnits,
            destinationKind: command.destination.kind, maskedAccount: command.destination.masked,
            state: .reserved, failureReason: "", createdAtMilliseconds: nowMilliseconds,
            settledAtMilliseconds: 0)
    }

    /// How many withdrawals `memberID` requested after `sinceMilliseconds`.
    static func count(_ db: Database, memberID: String, sinceMilliseconds: Int64) throws -> Int {
        try Int.fetchOne(
            db.cachedStatement(
                sql: "SELECT COUNT(*) FROM withdrawals WHERE member_id = ? AND created_ms > ?"),
            arguments: [memberID, sinceMilliseconds]) ?? 0
    }

    private static let columns = """
        id, member_id, currency, amount_minor, destination_kind, destination_account, state,
        failure_reason, created_ms, settled_ms
        """

    /// The full destination account of withdrawal `id`, for a replay's comparison only.
    static func account(_ db: Database, id: Int64) throws -> String? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT destination_account FROM withdrawals WHERE id = ?"),
            arguments: [id])
    }

    static func fetch(_ db: Database, id: Int64) throws -> WithdrawalRecord? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(Self.columns) FROM withdrawals WHERE id = ?"),
            arguments: [id]
        ).map(Self.record)
    }

    static func page(_ db: Database, state: WithdrawalState?, afterID: Int64, limit: Int) throws
        -> [WithdrawalRecord]
    {
        try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT \(Self.columns) FROM withdrawals
                    WHERE id > ? AND (? IS NULL OR state = ?) ORDER BY id LIMIT ?
                    """),
            arguments: [afterID, state.map { Int64($0.rawValue) }, state.map { Int64($0.rawValue) }, limit]
        ).map(Self.record)
    }

    static func settle(
        _ db: Database, id: Int64, to state: WithdrawalState, reason: String, nowMilliseconds: Int64
    ) throws {
        try db.cachedStatement(
            sql: """
                UPDATE withdrawals SET state = ?, failure_reason = ?, settled_ms = ?
                WHERE id = ? AND state = ?
                """
        ).execute(arguments: [
            Int64(state.rawValue), reason, nowMilliseconds, id,
            Int64(WithdrawalState.reserved.rawValue),
        ])
        precondition(db.changesCount == 1, "withdrawal \(id) was not reserved")
    }

    private static func record(_ row: Row) throws -> WithdrawalRecord {
        let rawKind: Int64 = row["destination_kind"]
        let rawState: Int64 = row["state"]
        guard let kindByte = UInt8(exactly: rawKind),
            let kind = PayoutDestination.Kind(rawValue: kindByte),
            let stateByte = UInt8(exactly: rawState), let state = WithdrawalState(rawValue: stateByte)
        else {
            throw LedgerStoreError(.corruptRow, "withdrawal kind \(rawKind) or state \(rawState)")
        }
        let destination: PayoutDestination
        do {
            destination = try PayoutDestination(kind: kind, account: row["destination_account"])
        } catch {
            throw LedgerStoreError(.corruptRow, "withdrawal destination is invalid", cause: error)
        }
        return WithdrawalRecord(
            withdrawalID: row["id"], memberID: row["member_id"],
            currency: try StoredValues.currency(row, column: "currency"),
            amountMinorUnits: row["amount_minor"], destinationKind: kind,
            maskedAccount: destination.masked, state: state, failureReason: row["failure_reason"],
            createdAtMilliseconds: row["created_ms"],
            settledAtMilliseconds: row["settled_ms"] ?? 0)
    }
}

/// SQL for `members` (frozen flags) and `admin_actions` (the audit trail).
enum MembersTable {
    static func isFrozen(_ db: Database, memberID: String) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT frozen FROM members WHERE member_id = ?"),
            arguments: [memberID]) ?? false
    }

    /// Records an admin action, forever: on a member, on a merchant, or on the whole ledger
    /// (both `nil`).
    static func recordAction(
        _ db: Database, _ action: String, memberID: String?, merchantID: String? = nil,
        subjectID: Int64?, actor: String, reason: String, nowMilliseconds: Int64
    ) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO admin_actions
                    (action, member_id, merchant_id, subject_id, actor, reason, created_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            action, memberID, merchantID, subjectID, actor, reason, nowMilliseconds,
        ])
    }

    static func setFrozen(_ db: Database, _ command: MemberFreezeCommand, nowMilliseconds: Int64)
        throws
    {
        try db.cachedStatement(
            sql: """
                INSERT INTO members (member_id, frozen, updated_ms) VALUES (?, ?, ?)
                ON CONFLICT (member_id) DO UPDATE SET
                    frozen = excluded.frozen, updated_ms = excluded.updated_ms
                """
        ).execute(arguments: [command.memberID, command.frozen, nowMilliseconds])
        try Self.recordAction(
            db, command.frozen ? "freeze" : "unfreeze", memberID: command.memberID,
            subjectID: nil, actor: command.actor, reason: command.reason,
            nowMilliseconds: nowMilliseconds)
    }
}
