#!/usr/bin/env python3
"""Copies a preloaded ledger file and widens its balances to MEMBERS members, for read
benchmarks at a scale a real preload cannot reach in a session (10⁷ members: ~2.5 h and ~35 GB
through the ledger at ~1 100 members/s).

GetBalance reads two tables: `balances` (one row per member and currency) and `lots` (the
member's unspent credits, for the next expiry). This script copies the rows of the preloaded
members member-0 … member-(P-1) of both tables to new members member-P … member-(MEMBERS-1)
(member-k gets member-(k mod P)'s rows), so that both B-trees hold MEMBERS members, as a real
ledger of that size would. Nothing else is copied: accruals and the journal keep the preload's
P members, so `cashbackd verify` refuses the result, and it must never serve anything but a
benchmark. The source file is left as it was.

    cashback-storebench preload --database /tmp/m4.sqlite --members 10000
    Benchmarks/widen_balances.py /tmp/m4.sqlite /tmp/m7.sqlite --members 10000000
    cashback-storebench balance --database /tmp/m7.sqlite --members 10000000 --count 200000
"""
import argparse
import os
import shutil
import sqlite3
import sys
import time

BATCH = 200_000


def columns(db, table, skip=()):
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})") if row[1] not in skip]


def widen(db, table, members, preloaded, skip=()):
    """Inserts the copies of `table`'s preloaded rows in batches of BATCH new members, each
    batch in member-id order (the B-trees are keyed by member id: appends, not random writes).
    Lots are copied while unspent: the only ones GetBalance reads."""
    names = columns(db, table, skip)
    unspent = " WHERE remaining_minor > 0" if table == "lots" else ""
    db.execute(f"CREATE TEMP TABLE source AS SELECT * FROM {table}{unspent}")
    db.execute("CREATE INDEX temp.source_by_member ON source(member_id)")
    chosen = ", ".join("'member-' || n.k" if name == "member_id" else f"t.{name}" for name in names)
    statement = f"""
        WITH RECURSIVE n(k) AS (SELECT ? UNION ALL SELECT k + 1 FROM n WHERE k + 1 < ?)
        INSERT INTO {table} ({", ".join(names)})
        SELECT {chosen} FROM n JOIN source t ON t.member_id = 'member-' || (n.k % ?)
        ORDER BY 'member-' || n.k
    """
    for start in range(preloaded, members, BATCH):
        db.execute(statement, (start, min(start + BATCH, members), preloaded))
        db.commit()
        print(f"{table}: {min(start + BATCH, members)}/{members} members", file=sys.stderr)
    db.execute("DROP TABLE temp.source")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="a file preloaded by cashback-storebench preload")
    parser.add_argument("target", help="the widened copy (must not exist)")
    parser.add_argument("--members", type=int, required=True, help="members in the copy")
    arguments = parser.parse_args()

    source = sqlite3.connect(arguments.source)
    preloaded = source.execute(
        "SELECT count(*) FROM balances WHERE member_id GLOB 'member-[0-9]*'").fetchone()[0]
    source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    source.close()
    if preloaded == 0 or arguments.members <= preloaded:
        sys.exit(f"{arguments.source} has {preloaded} preloaded members; --members must be more")
    if os.path.exists(arguments.target):
        sys.exit(f"{arguments.target} exists: name a new file")
    shutil.copyfile(arguments.source, arguments.target)
    started = time.monotonic()
    db = sqlite3.connect(arguments.target)
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-1000000")
    widen(db, "balances", arguments.members, preloaded)
    widen(db, "lots", arguments.members, preloaded, skip=("id",))
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    print(f"{arguments.target}: {arguments.members} members in balances and lots "
          f"({preloaded} preloaded) in {time.monotonic() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
