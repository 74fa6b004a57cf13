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
        migrator.registerMigration("v2") { db in
            try db.execute(sql: Self.v2)
            try LegacyAccruals.convert(db)
        }
        migrator.registerMigration("v3") { db in
            try db.execute(sql: Self.v3)
        }
        migrator.registerMigration("v4") { db in
            try db.execute(sql: Self.v4)
        }
        migrator.registerMigration("v5") { db in
            try db.execute(sql: Self.v5)
        }
        migrator.registerMigration("v6") { db in
            try db.execute(sql: Self.v6)
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

    /// The ledger of rules, lifecycle and wallet: merchants gain commission, hold, expiry and
    /// status; versioned rule sets; accruals lock their rule version, commission and hold and
    /// keep their lines and pricing; a history per accrual; idempotency keys; member debt,
    /// reserved, spent, withdrawn and expired buckets; lots of confirmed cashback with their
    /// expiry; redemptions and withdrawals with the lots they drew on; frozen members and the
    /// audit trail of admin actions; and a journal with the accounts and entry kinds of all of
    /// it.
    ///
    /// The journal tables are rebuilt (SQLite cannot change a CHECK constraint in place): the
    /// immutability triggers are dropped, the rows copied with their ids, and the triggers
    /// created again on the new tables. Accruals of a v1 file get their rule versions and
    /// pricing from `LegacyAccruals.convert(_:)`, run right after this SQL.
    ///
    /// Stored JSON (`rule_sets.rules`, `accruals.pricing`) is the `Codable` form of
    /// `CashbackCore.RuleSet` and `StoredPricing`: their property names are a storage format.
    private static let v2 = """
        ALTER TABLE merchants ADD COLUMN commission_bps INTEGER NOT NULL DEFAULT 0
            CHECK (commission_bps BETWEEN 0 AND 10000);
        ALTER TABLE merchants ADD COLUMN hold_days INTEGER NOT NULL DEFAULT 0
            CHECK (hold_days BETWEEN 0 AND 3650);
        ALTER TABLE merchants ADD COLUMN cashback_expiry_days INTEGER NOT NULL DEFAULT 0
            CHECK (cashback_expiry_days BETWEEN 0 AND 3650);
        ALTER TABLE merchants ADD COLUMN status INTEGER NOT NULL DEFAULT 1
            CHECK (status IN (1, 2));

        CREATE TABLE rule_sets (
            merchant_id TEXT NOT NULL REFERENCES merchants(id),
            version INTEGER NOT NULL CHECK (version >= 1),
            rules TEXT NOT NULL CHECK (json_valid(rules)),
            published_ms INTEGER NOT NULL,
            PRIMARY KEY (merchant_id, version)
        ) STRICT, WITHOUT ROWID;
        CREATE TRIGGER rule_sets_no_update BEFORE UPDATE ON rule_sets
            BEGIN SELECT RAISE(ABORT, 'rule sets are immutable: publish a new version'); END;
        CREATE TRIGGER rule_sets_no_delete BEFORE DELETE ON rule_sets
            BEGIN SELECT RAISE(ABORT, 'rule sets are immutable: publish a new version'); END;

        -- eligible_minor stays the amount first reported; eligible_now_minor follows refunds.
        ALTER TABLE accruals ADD COLUMN eligible_now_minor INTEGER NOT NULL DEFAULT 0
            CHECK (eligible_now_minor >= 0 AND eligible_now_minor <= eligible_minor);
        ALTER TABLE accruals ADD COLUMN rule_version INTEGER NOT NULL DEFAULT 1
            CHECK (rule_version >= 1);
        ALTER TABLE accruals ADD COLUMN commission_bps INTEGER NOT NULL DEFAULT 0
            CHECK (commission_bps BETWEEN 0 AND 10000);
        ALTER TABLE accruals ADD COLUMN commission_minor INTEGER NOT NULL DEFAULT 0
            CHECK (commission_minor >= 0 AND commission_minor <= eligible_minor);
        ALTER TABLE accruals ADD COLUMN first_cashback_minor INTEGER NOT NULL DEFAULT 0
            CHECK (first_cashback_minor >= 0);
        ALTER TABLE accruals ADD COLUMN hold_ends_at_ms INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE accruals ADD COLUMN pricing TEXT NOT NULL DEFAULT '{}'
            CHECK (json_valid(pricing));

        -- Claims for orders a member says were never credited; an approved claim books an
        -- accrual, linked both ways (claims.accrual_id, accruals.claim_id).
        CREATE TABLE claims (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            member_id TEXT NOT NULL,
            merchant_id TEXT NOT NULL REFERENCES merchants(id),
            order_id TEXT NOT NULL,
            currency TEXT NOT NULL CHECK (currency GLOB '[A-Z][A-Z][A-Z]'),
            amount_minor INTEGER NOT NULL CHECK (amount_minor BETWEEN 1 AND 1000000000000000),
            ordered_at_ms INTEGER NOT NULL,
            details TEXT NOT NULL,
            state INTEGER NOT NULL CHECK (state IN (1, 2, 3)),
            accrual_id INTEGER REFERENCES accruals(id),
            decided_by TEXT NOT NULL,
            decision_reason TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            decided_ms INTEGER,
            CHECK ((state = 2) = (accrual_id IS NOT NULL))
        ) STRICT;
        -- One open or approved claim per order.
        CREATE UNIQUE INDEX claims_once_per_order ON claims(merchant_id, order_id)
            WHERE state IN (1, 2);
        CREATE INDEX claims_by_state ON claims(state, id);
        ALTER TABLE accruals ADD COLUMN claim_id INTEGER REFERENCES claims(id);
        CREATE INDEX accruals_by_member_time ON accruals(member_id, created_ms);

        CREATE TABLE accrual_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            accrual_id INTEGER NOT NULL REFERENCES accruals(id),
            kind TEXT NOT NULL CHECK (kind IN ('accrue', 'confirm', 'cancel', 'adjust')),
            state INTEGER NOT NULL CHECK (state IN (1, 2, 3)),
            eligible_minor INTEGER NOT NULL CHECK (eligible_minor >= 0),
            cashback_minor INTEGER NOT NULL CHECK (cashback_minor >= 0),
            cashback_delta_minor INTEGER NOT NULL,
            debt_minor INTEGER NOT NULL CHECK (debt_minor >= 0),
            idempotency_key TEXT NOT NULL,
            reason TEXT NOT NULL,
            created_ms INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX accrual_events_by_accrual ON accrual_events(accrual_id, id);
        CREATE TRIGGER accrual_events_no_update BEFORE UPDATE ON accrual_events
            BEGIN SELECT RAISE(ABORT, 'accrual history is immutable'); END;
        CREATE TRIGGER accrual_events_no_delete BEFORE DELETE ON accrual_events
            BEGIN SELECT RAISE(ABORT, 'accrual history is immutable'); END;

        -- One row per applied key, per method: the request as validated and the first answer.
        CREATE TABLE idempotency_keys (
            method TEXT NOT NULL,
            key TEXT NOT NULL CHECK (length(CAST(key AS BLOB)) BETWEEN 1 AND 128),
            request TEXT NOT NULL,
            response TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            PRIMARY KEY (method, key)
        ) STRICT, WITHOUT ROWID;
        CREATE TRIGGER idempotency_keys_no_update BEFORE UPDATE ON idempotency_keys
            BEGIN SELECT RAISE(ABORT, 'idempotency keys are kept forever'); END;
        CREATE TRIGGER idempotency_keys_no_delete BEFORE DELETE ON idempotency_keys
            BEGIN SELECT RAISE(ABORT, 'idempotency keys are kept forever'); END;

        ALTER TABLE balances ADD COLUMN debt_minor INTEGER NOT NULL DEFAULT 0
            CHECK (debt_minor >= 0);
        ALTER TABLE balances ADD COLUMN reserved_minor INTEGER NOT NULL DEFAULT 0
            CHECK (reserved_minor >= 0);
        ALTER TABLE balances ADD COLUMN spent_minor INTEGER NOT NULL DEFAULT 0
            CHECK (spent_minor >= 0);
        ALTER TABLE balances ADD COLUMN withdrawn_minor INTEGER NOT NULL DEFAULT 0
            CHECK (withdrawn_minor >= 0);
        ALTER TABLE balances ADD COLUMN expired_minor INTEGER NOT NULL DEFAULT 0
            CHECK (expired_minor >= 0);

        -- Confirmed cashback, in lots that expire (expires_at_ms NULL: never). Spending,
        -- withdrawing and clawbacks draw on remaining_minor, soonest expiry first; the lots of
        -- a member sum to the available balance.
        CREATE TABLE lots (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            member_id TEXT NOT NULL,
            currency TEXT NOT NULL CHECK (currency GLOB '[A-Z][A-Z][A-Z]'),
            accrual_id INTEGER REFERENCES accruals(id),
            amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
            remaining_minor INTEGER NOT NULL
                CHECK (remaining_minor >= 0 AND remaining_minor <= amount_minor),
            expires_at_ms INTEGER,
            created_ms INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX lots_by_member ON lots(member_id, currency, expires_at_ms)
            WHERE remaining_minor > 0;
        CREATE INDEX lots_by_expiry ON lots(expires_at_ms) WHERE remaining_minor > 0;

        CREATE TABLE redemptions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            member_id TEXT NOT NULL,
            currency TEXT NOT NULL CHECK (currency GLOB '[A-Z][A-Z][A-Z]'),
            amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
            refunded_minor INTEGER NOT NULL
                CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor),
            purchase_ref TEXT NOT NULL,
            created_ms INTEGER NOT NULL
        ) STRICT;

        -- What a redemption or a withdrawal drew from each lot, so that a refund or a failed
        -- payout goes back where it came from, with the lot's own expiry.
        CREATE TABLE lot_draws (
            source_kind TEXT NOT NULL CHECK (source_kind IN ('redemption', 'withdrawal')),
            source_id INTEGER NOT NULL,
            lot_id INTEGER NOT NULL REFERENCES lots(id),
            amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
            returned_minor INTEGER NOT NULL
                CHECK (returned_minor >= 0 AND returned_minor <= amount_minor),
            PRIMARY KEY (source_kind, source_id, lot_id)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE withdrawals (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            member_id TEXT NOT NULL,
            currency TEXT NOT NULL CHECK (currency GLOB '[A-Z][A-Z][A-Z]'),
            amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
            destination_kind INTEGER NOT NULL CHECK (destination_kind IN (1, 2, 3)),
            destination_account TEXT NOT NULL,
            state INTEGER NOT NULL CHECK (state IN (1, 2, 3)),
            failure_reason TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            settled_ms INTEGER
        ) STRICT;
        CREATE INDEX withdrawals_by_state ON withdrawals(state, id);
        CREATE INDEX withdrawals_by_member_time ON withdrawals(member_id, created_ms);

        -- Frozen members: no redeem or withdraw while frozen.
        CREATE TABLE members (
            member_id TEXT NOT NULL PRIMARY KEY,
            frozen INTEGER NOT NULL CHECK (frozen IN (0, 1)),
            updated_ms INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;

        -- Every admin action on a member, with its actor and reason, kept forever.
        CREATE TABLE admin_actions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            action TEXT NOT NULL,
            member_id TEXT NOT NULL,
            subject_id INTEGER,
            actor TEXT NOT NULL,
            reason TEXT NOT NULL,
            created_ms INTEGER NOT NULL
        ) STRICT;
        CREATE TRIGGER admin_actions_no_update BEFORE UPDATE ON admin_actions
            BEGIN SELECT RAISE(ABORT, 'admin actions are kept forever'); END;
        CREATE TRIGGER admin_actions_no_delete BEFORE DELETE ON admin_actions
            BEGIN SELECT RAISE(ABORT, 'admin actions are kept forever'); END;

        DROP TRIGGER journal_entries_no_update;
        DROP TRIGGER journal_entries_no_delete;
        DROP TRIGGER journal_lines_no_update;
        DROP TRIGGER journal_lines_no_delete;
        DROP INDEX journal_entries_once_per_accrual;
        DROP INDEX journal_lines_by_entry;
        DROP INDEX journal_lines_by_account;

        -- accrual_id for the accrual's own entries; source_id for the redemption or the
        -- withdrawal of wallet entries.
        CREATE TABLE journal_entries_v2 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            accrual_id INTEGER REFERENCES accruals(id),
            kind TEXT NOT NULL
                CHECK (kind IN ('accrue', 'confirm', 'cancel', 'adjust', 'redeem',
                                'refund-redemption', 'withdraw', 'complete-withdrawal',
                                'fail-withdrawal', 'expire', 'manual-credit',
                                'manual-debit')),
            source_id INTEGER,
            note TEXT NOT NULL DEFAULT '',
            created_ms INTEGER NOT NULL
        ) STRICT;
        INSERT INTO journal_entries_v2 (id, accrual_id, kind, created_ms)
            SELECT id, accrual_id, kind, created_ms FROM journal_entries;

        CREATE TABLE journal_lines_v2 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            entry_id INTEGER NOT NULL REFERENCES journal_entries_v2(id),
            account TEXT NOT NULL
                CHECK (account IN ('member-pending', 'member-available', 'member-debt',
                                   'member-reserved', 'member-spent', 'member-withdrawn',
                                   'member-expired', 'merchant-receivable',
                                   'platform-margin', 'program-adjustments')),
            owner_id TEXT NOT NULL,
            currency TEXT NOT NULL
                CHECK (currency GLOB '[A-Z][A-Z][A-Z]'),
            amount_minor INTEGER NOT NULL
        ) STRICT;
        INSERT INTO journal_lines_v2 (id, entry_id, account, owner_id, currency, amount_minor)
            SELECT id, entry_id, account, owner_id, currency, amount_minor FROM journal_lines;

        DROP TABLE journal_lines;
        DROP TABLE journal_entries;
        ALTER TABLE journal_entries_v2 RENAME TO journal_entries;
        ALTER TABLE journal_lines_v2 RENAME TO journal_lines;

        -- An accrual is booked, confirmed and cancelled at most once each: a second booking
        -- of the same event is a double payment, refused by the file itself. Adjustments
        -- may be many; each is keyed in idempotency_keys.
        CREATE UNIQUE INDEX journal_entries_once_per_accrual
            ON journal_entries(accrual_id, kind)
            WHERE kind IN ('accrue', 'confirm', 'cancel');
        -- A withdrawal is booked, and then completed or failed, once: a second settlement is
        -- a double payout, refused by the file itself.
        CREATE UNIQUE INDEX journal_entries_once_per_withdrawal
            ON journal_entries(source_id, kind)
            WHERE kind = 'withdraw';
        CREATE UNIQUE INDEX journal_entries_settled_once
            ON journal_entries(source_id)
            WHERE kind IN ('complete-withdrawal', 'fail-withdrawal');
        CREATE INDEX journal_entries_by_accrual ON journal_entries(accrual_id);
        CREATE INDEX journal_lines_by_entry ON journal_lines(entry_id);
        CREATE INDEX journal_lines_by_account ON journal_lines(account, owner_id, currency);

        CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries
            BEGIN SELECT RAISE(ABORT, 'journal entries are immutable'); END;
        CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries
            BEGIN SELECT RAISE(ABORT, 'journal entries are immutable'); END;
        CREATE TRIGGER journal_lines_no_update BEFORE UPDATE ON journal_lines
            BEGIN SELECT RAISE(ABORT, 'journal lines are immutable'); END;
        CREATE TRIGGER journal_lines_no_delete BEFORE DELETE ON journal_lines
            BEGIN SELECT RAISE(ABORT, 'journal lines are immutable'); END;
        """

    /// Bearer tokens, and admin actions that are not about a member.
    ///
    /// A token row keeps only the SHA-256 digest of the token; `name` is unique among active
    /// tokens and is the actor of what the token does. A token is revoked, never deleted, so
    /// that the actor of an old admin action still names a row.
    ///
    /// `admin_actions` is rebuilt with `member_id` optional and a `merchant_id`, so that
    /// UpsertMerchant, PublishRuleSet and RunExpiry record their actor as the member actions
    /// do.
    private static let v3 = """
        CREATE TABLE access_tokens (
            id TEXT NOT NULL PRIMARY KEY
                CHECK (length(CAST(id AS BLOB)) BETWEEN 1 AND 64),
            name TEXT NOT NULL
                CHECK (length(CAST(name AS BLOB)) BETWEEN 1 AND 128),
            scopes TEXT NOT NULL CHECK (length(scopes) > 0),
            merchant_id TEXT
                CHECK (merchant_id IS NULL OR length(CAST(merchant_id AS BLOB)) BETWEEN 1 AND 128),
            digest BLOB NOT NULL CHECK (length(digest) = 32),
            created_ms INTEGER NOT NULL,
            revoked_ms INTEGER
        ) STRICT, WITHOUT ROWID;
        CREATE UNIQUE INDEX access_tokens_active_name ON access_tokens(name)
            WHERE revoked_ms IS NULL;
        CREATE TRIGGER access_tokens_no_delete BEFORE DELETE ON access_tokens
            BEGIN SELECT RAISE(ABORT, 'tokens are revoked, never deleted'); END;

        CREATE TABLE admin_actions_v3 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            action TEXT NOT NULL,
            member_id TEXT,
            merchant_id TEXT,
            subject_id INTEGER,
            actor TEXT NOT NULL,
            reason TEXT NOT NULL,
            created_ms INTEGER NOT NULL
        ) STRICT;
        INSERT INTO admin_actions_v3
            (id, action, member_id, merchant_id, subject_id, actor, reason, created_ms)
            SELECT id, action, member_id, NULL, subject_id, actor, reason, created_ms
            FROM admin_actions;
        DROP TABLE admin_actions;
        ALTER TABLE admin_actions_v3 RENAME TO admin_actions;
        CREATE INDEX admin_actions_by_member ON admin_actions(member_id)
            WHERE member_id IS NOT NULL;
        CREATE TRIGGER admin_actions_no_update BEFORE UPDATE ON admin_actions
            BEGIN SELECT RAISE(ABORT, 'admin actions are kept forever'); END;
        CREATE TRIGGER admin_actions_no_delete BEFORE DELETE ON admin_actions
            BEGIN SELECT RAISE(ABORT, 'admin actions are kept forever'); END;
        """

    /// Less written per accrual (issue "durable speed"): an accrual writes its row, a journal
    /// entry with three lines, an event and its balance; of those, the lines and the event are
    /// the most rows.
    ///
    /// - `journal_lines` and `accrual_events` lose AUTOINCREMENT, which updates
    ///   `sqlite_sequence` on every insert only to keep ids of deleted rows from coming back;
    ///   both tables refuse deletes (triggers), so the largest id is never freed and plain
    ///   rowids stay unique and increasing. Their rows and ids are copied as they are.
    /// - `accruals_by_member` goes: no query reads accruals by member and currency (the
    ///   velocity limit reads `accruals_by_member_time`), yet every accrual updated it.
    static let v4 = """
        DROP INDEX accruals_by_member;

        DROP TRIGGER accrual_events_no_update;
        DROP TRIGGER accrual_events_no_delete;
        DROP INDEX accrual_events_by_accrual;
        CREATE TABLE accrual_events_v4 (
            id INTEGER PRIMARY KEY,
            accrual_id INTEGER NOT NULL REFERENCES accruals(id),
            kind TEXT NOT NULL CHECK (kind IN ('accrue', 'confirm', 'cancel', 'adjust')),
            state INTEGER NOT NULL CHECK (state IN (1, 2, 3)),
            eligible_minor INTEGER NOT NULL CHECK (eligible_minor >= 0),
            cashback_minor INTEGER NOT NULL CHECK (cashback_minor >= 0),
            cashback_delta_minor INTEGER NOT NULL,
            debt_minor INTEGER NOT NULL CHECK (debt_minor >= 0),
            idempotency_key TEXT NOT NULL,
            reason TEXT NOT NULL,
            created_ms INTEGER NOT NULL
        ) STRICT;
        INSERT INTO accrual_events_v4
            SELECT id, accrual_id, kind, state, eligible_minor, cashback_minor,
                   cashback_delta_minor, debt_minor, idempotency_key, reason, created_ms
            FROM accrual_events;
        DROP TABLE accrual_events;
        ALTER TABLE accrual_events_v4 RENAME TO accrual_events;
        CREATE INDEX accrual_events_by_accrual ON accrual_events(accrual_id, id);
        CREATE TRIGGER accrual_events_no_update BEFORE UPDATE ON accrual_events
            BEGIN SELECT RAISE(ABORT, 'accrual history is immutable'); END;
        CREATE TRIGGER accrual_events_no_delete BEFORE DELETE ON accrual_events
            BEGIN SELECT RAISE(ABORT, 'accrual history is immutable'); END;

        DROP TRIGGER journal_lines_no_update;
        DROP TRIGGER journal_lines_no_delete;
        DROP INDEX journal_lines_by_entry;
        DROP INDEX journal_lines_by_account;
        CREATE TABLE journal_lines_v4 (
            id INTEGER PRIMARY KEY,
            entry_id INTEGER NOT NULL REFERENCES journal_entries(id),
            account TEXT NOT NULL
                CHECK (account IN ('member-pending', 'member-available', 'member-debt',
                                   'member-reserved', 'member-spent', 'member-withdrawn',
                                   'member-expired', 'merchant-receivable',
                                   'platform-margin', 'program-adjustments')),
            owner_id TEXT NOT NULL,
            currency TEXT NOT NULL
                CHECK (currency GLOB '[A-Z][A-Z][A-Z]'),
            amount_minor INTEGER NOT NULL
        ) STRICT;
        INSERT INTO journal_lines_v4 (id, entry_id, account, owner_id, currency, amount_minor)
            SELECT id, entry_id, account, owner_id, currency, amount_minor FROM journal_lines;
        DROP TABLE journal_lines;
        ALTER TABLE journal_lines_v4 RENAME TO journal_lines;
        CREATE INDEX journal_lines_by_entry ON journal_lines(entry_id);
        CREATE INDEX journal_lines_by_account ON journal_lines(account, owner_id, currency);
        CREATE TRIGGER journal_lines_no_update BEFORE UPDATE ON journal_lines
            BEGIN SELECT RAISE(ABORT, 'journal lines are immutable'); END;
        CREATE TRIGGER journal_lines_no_delete BEFORE DELETE ON journal_lines
            BEGIN SELECT RAISE(ABORT, 'journal lines are immutable'); END;
        """

    /// No JSON in the hot row (issue 9, "cut what each accrual writes"): `accruals` gains
    /// `pricing_compact`, the order and pricing explanation in the compact encoding of
    /// `StoredPricing` (58 bytes for a flat order, where the JSON took 685), which every accrual
    /// and adjustment writes from now on instead of the sorted-key JSON in `pricing`. Encoding
    /// that JSON with Foundation's `JSONEncoder` was half the time of writing the accrual row.
    ///
    /// Rows written before v5 keep their JSON and are read from it (`AccrualsTable.pricing`):
    /// no row is converted here, because this is one `ALTER TABLE … ADD COLUMN`, which SQLite
    /// does without rewriting the table, while a conversion would rewrite every accrual of a
    /// large ledger (10⁷ rows: minutes and gigabytes of WAL) at the first start of a new
    /// version. An adjustment rewrites its row in the compact form. Beside a compact value,
    /// `pricing` holds `'{}'` (its v2 default, which a new row gets by leaving it out), and a
    /// reader takes the compact value whenever there is one.
    ///
    /// The column has no CHECK, on purpose: SQLite tests a CHECK of an added column against
    /// every existing row (`PRAGMA quick_check` of the table), 0.22 s for 67 000 accruals on
    /// the benchmark machine, so half a minute or more at 10⁷, where the plain `ADD COLUMN`
    /// takes 2 ms at any size. The STRICT table still refuses anything but a BLOB there.
    static let v5 = """
        ALTER TABLE accruals ADD COLUMN pricing_compact BLOB;
        """

    /// A refund of expired cashback takes back what expired, not the member's money: `lots`
    /// gains `expired_minor`, what of the lot RunExpiry expired (and a clawback has not taken
    /// back since). An Adjust of a confirmed accrual whose own lot expired lowers it, and the
    /// member's expired balance with it, before it touches available or makes debt (WIRE.md
    /// §9.6); without it, a member whose cashback expired unused would lose it twice: to the
    /// expiry, then as debt.
    ///
    /// Lots expired before v6 keep 0: how much of such a lot expired, rather than being spent or
    /// clawed back, was not recorded, so a refund of their accruals goes on as before. No CHECK,
    /// for the reason given at v5: only `LotsTable` writes it, moving what a lot has left into
    /// it and taking back at most what it holds, and Verify checks that it fits the lot and the
    /// member's expired balance (`lotOutOfRange`, `expiredLotsAboveBalance`).
    ///
    /// A refund finds its accrual's lots by `accrual_id`, which no index served (both are on
    /// lots with something left): `lots_by_accrual`, built once here, one pass over the lots.
    static let v6 = """
        ALTER TABLE lots ADD COLUMN expired_minor INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX lots_by_accrual ON lots(accrual_id) WHERE accrual_id IS NOT NULL;
        """
}
