"""Crash safety under load (Benchmarks/crash.py): kill -9 during Accrue load loses nothing
acknowledged; and the checker itself notices a loss."""
import sys

import pytest

from conftest import BINARY, ROOT

sys.path.insert(0, str(ROOT / "Benchmarks"))
import crash  # noqa: E402


def test_three_kill_cycles_under_load_lose_no_acknowledged_accrual(tmp_path):
    lines = []
    acknowledged = crash.run(cycles=3, seed=20261130, connections=4, max_delay=1.0,
                             cycle_seconds=60, binary=BINARY, directory=tmp_path,
                             out=lines.append)
    assert acknowledged > 0
    assert len([line for line in lines if line.startswith("cycle ")]) == 3
    assert lines[-1].startswith("crash safety: ok:")


def test_the_checks_notice_a_missing_or_changed_accrual(tmp_path):
    database = str(tmp_path / "ledger.sqlite")
    server = crash.Cashbackd(BINARY, database)
    try:
        with server.channel() as channel:
            crash._call(channel, "Admin/UpsertMerchant")(crash.upsert_merchant_request())
            request = crash.accrue_request("o-1", "m-1", 10_000)
            accrual_id, cashback, _ = crash.accrue_response(
                crash._call(channel, "Accruals/Accrue")(request))
            crash.check_present(channel, {"o-1": (accrual_id, cashback, request)}, 1)

            never_booked = {"o-2": (accrual_id + 1, cashback, crash.accrue_request(
                "o-2", "m-1", 10_000))}
            with pytest.raises(crash.Lost, match="o-2 was acknowledged .* NOT_FOUND"):
                crash.check_present(channel, never_booked, 1)
            with pytest.raises(crash.Lost, match="o-1 was acknowledged as accrual"):
                crash.check_present(channel, {"o-1": (accrual_id + 7, cashback, request)}, 1)
            # A lost order that its replay books again can even get the acknowledged id back
            # (the next id is free again): Verify's counts still show that the replay wrote.
            with pytest.raises(crash.Lost, match="changed Verify's accruals from 1 to 2"):
                crash.check_replays(channel, never_booked, 1)
    finally:
        assert server.stop() == 0
