import GRDB

/// The ledger's schema, built by migrations from an empty file.
///
/// A migration that has shipped is frozen: its SQL never changes, because files that already
/// ran it will not run it again. A change of schema is a new migration appended below. That is
/// also why the CHECK constraints spell their limits as literals instead of reading
/// `LedgerLimits`: the schema of an existing file cannot follow a constant that moved.
enum Migrations {
    /// The migrator with every migration registered, in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: Self.v1)
        }
        return migrator
    }

    /// Merchants, accruals, materialized balances and the double-entry journal.
    ///
    /// Journal accounts are identified by (`account`, `owner_id`, `currency`): `account` names
    /// the kind (a member's pending or available cashback, or the program's receivable from a
    /// merchant) and `owner_id` the member or merchant. Keeping the owner in a column of its
    /// own means no id, whatever bytes it holds, can be mistaken for another account.
    ///
    /// Line amounts are signed and every entry's lines sum to zero. A member account's balance
    /// is the sum of its lines; the merchant receivable holds the opposite side.
    private static let v1 = """
        CREATE TABLE merchants (
            id TEXT NOT NULL PRIMARY KEY
                CHECK (length(CAST(id AS BLOB)) BETWEEN 1 AND 128),
            name TEXT NOT NULL
                CHECK (length(CAST(name AS BLOB)) BETWEEN 1 AND 200),
            currency TEXT NOT NULL
                CHECK (currency GLOB '[A-Z][A-Z][A-Z]'),
            shopper_rate_bps INTEGER NOT NULL
                CHECK (shopper_rate_bps BETWEEN 0 AND 10000),
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE accruals (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            merchant_id TEXT NOT NULL REFERENCES merchants(id),
            order_id TEXT NOT NULL
                CHECK (length(CAST(order_id AS BLOB)) BETWEEN 1 AND 128),
            member_id TEXT NOT NULL
                CHECK (length(CAST(member_id AS BLOB)) BETWEEN 1 AND 128),
            currency TEXT NOT NULL
                CHECK (currency GLOB '[A-Z][A-Z][A-Z]'),
            eligible_minor INTEGER NOT NULL
                CHECK (eligible_minor BETWEEN 1 AND 1000000000000000),
            rate_bps INTEGER NOT NULL
                CHECK (rate_bps BETWEEN 0 AND 10000),
            cashback_minor INTEGER NOT NULL
                CHECK (cashback_minor BETWEEN 0 AND eligible_minor),
            state INTEGER NOT NULL
                CHECK (state IN (1, 2, 3)),
            ordered_at_ms INTEGER NOT NULL
                CHECK (ordered_at_ms BETWEEN 1 AND 253402300799999),
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL,
            UNIQUE (merchant_id, order_id)
        ) STRICT;

        CREATE INDEX accruals_by_member ON accruals(member_id, currency);

        CREATE TABLE balances (
            member_id TEXT NOT NULL,
            currency TEXT NOT NULL
                CHECK (currency GLOB '[A-Z][A-Z][A-Z]'),
            pending_minor INTEGER NOT NULL CHECK (pending_minor >= 0),
            available_minor INTEGER NOT NULL CHECK (available_minor >= 0),
            lifetime_minor INTEGER NOT NULL CHECK (lifetime_minor >= 0),
            updated_ms INTEGER NOT NULL,
            PRIMARY KEY (member_id, currency)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE journal_entries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            accrual_id INTEGER NOT NULL REFERENCES accruals(id),
            kind TEXT NOT NULL
                CHECK (kind IN ('accrue', 'confirm', 'cancel')),
            created_ms INTEGER NOT NULL
        ) STRICT;

        -- An accrual is booked, confirmed and cancelled at most once each: a second booking
        -- of the same event is a double payment, refused by the file itself.
        CREATE UNIQUE INDEX journal_entries_once_per_accrual
            ON journal_entries(accrual_id, kind)
            WHERE kind IN ('accrue', 'confirm', 'cancel');

        CREATE TABLE journal_lines (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            entry_id INTEGER NOT NULL REFERENCES journal_entries(id),
            account TEXT NOT NULL
                CHECK (account IN ('member-pending', 'member-available', 'merchant-receivable')),
            owner_id TEXT NOT NULL,
            currency TEXT NOT NULL
                CHECK (currency GLOB '[A-Z][A-Z][A-Z]'),
            amount_minor INTEGER NOT NULL
        ) STRICT;

        CREATE INDEX journal_lines_by_entry ON journal_lines(entry_id);
        CREATE INDEX journal_lines_by_account ON journal_lines(account, owner_id, currency);

        -- The journal is append-only: a correction is a new entry, never an edit.
        CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries
            BEGIN SELECT RAISE(ABORT, 'journal entries are immutable'); END;
        CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries
            BEGIN SELECT RAISE(ABORT, 'journal entries are immutable'); END;
        CREATE TRIGGER journal_lines_no_update BEFORE UPDATE ON journal_lines
            BEGIN SELECT RAISE(ABORT, 'journal lines are immutable'); END;
        CREATE TRIGGER journal_lines_no_delete BEFORE DELETE ON journal_lines
            BEGIN SELECT RAISE(ABORT, 'journal lines are immutable'); END;
        """
}
