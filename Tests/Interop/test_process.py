"""cashbackd as a process: signals, durability across restarts, flags."""
import signal
import subprocess

import grpc
import pytest

from conftest import Server, vector


def cashbackd(*args):
    """Runs cashbackd to completion with `args`."""
    from conftest import ROOT
    import os
    binary = os.environ.get("CASHBACKD", str(ROOT / ".build/debug/cashbackd"))
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=120)


def raw_call(channel, path):
    return channel.unary_unary(path, request_serializer=None, response_deserializer=None)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_the_server_with_status_zero(database, sig):
    server = Server(database)
    with grpc.insecure_channel(server.address) as channel:
        assert raw_call(channel, "/grpc.health.v1.Health/Check")(b"") == b"\x08\x01"
        # The connection is still open while the server shuts down.
        assert server.stop(sig) == 0


def test_an_accrual_survives_a_restart(database):
    first = Server(database)
    with grpc.insecure_channel(first.address) as channel:
        raw_call(channel, "/cashback.v1.Admin/UpsertMerchant")(vector("upsert-merchant"))
        raw_call(channel, "/cashback.v1.Accruals/Accrue")(vector("accrue"))
    assert first.stop() == 0

    second = Server(database)
    try:
        with grpc.insecure_channel(second.address) as channel:
            balance = raw_call(channel, "/cashback.v1.Wallet/GetBalance")(vector("get-balance"))
            assert balance == vector("balance")
    finally:
        assert second.stop() == 0


def test_an_accrual_survives_a_kill(database):
    """SIGKILL right after the answer: what was acknowledged is in the file."""
    first = Server(database)
    with grpc.insecure_channel(first.address) as channel:
        raw_call(channel, "/cashback.v1.Admin/UpsertMerchant")(vector("upsert-merchant"))
        assert raw_call(channel, "/cashback.v1.Accruals/Accrue")(vector("accrue")) == vector(
            "accrue-response")
    first.stop(signal.SIGKILL)

    second = Server(database)
    try:
        with grpc.insecure_channel(second.address) as channel:
            assert raw_call(channel, "/cashback.v1.Wallet/GetBalance")(
                vector("get-balance")) == vector("balance")
    finally:
        second.stop()


@pytest.mark.parametrize("flags", [["--listen", "nohost"], ["--listen", "127.0.0.1:70000"]])
def test_bad_flags_are_refused(flags):
    result = cashbackd(*flags)
    assert result.returncode != 0
    assert "invalid address" in result.stderr


def test_verify_offline_finds_clean_books_then_a_breach(database):
    import sqlite3
    server = Server(database)
    with grpc.insecure_channel(server.address) as channel:
        raw_call(channel, "/cashback.v1.Admin/UpsertMerchant")(vector("upsert-merchant"))
        raw_call(channel, "/cashback.v1.Accruals/Accrue")(vector("accrue"))
    assert server.stop() == 0

    clean = cashbackd("verify", "--database", database)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.startswith("ok: ")
    assert "1 accruals" in clean.stdout

    # Change a balance behind the ledger's back: verify names the breach and exits 1.
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE balances SET pending_minor = pending_minor + 1")
    broken = cashbackd("verify", "--database", database)
    assert broken.returncode == 1
    assert "balanceMismatch: member 'm1' EUR pending is 325" in broken.stdout
    assert "breach(es)" in broken.stdout


def test_verify_refuses_a_missing_file(tmp_path):
    missing = tmp_path / "nope.sqlite"
    result = cashbackd("verify", "--database", str(missing))
    assert result.returncode == 2
    assert f"no database at {missing}" in result.stderr
    assert not missing.exists()


def test_a_second_server_on_the_same_database_is_refused(database):
    first = Server(database)
    try:
        second = cashbackd("--plaintext", "--listen", "127.0.0.1:0", "--database", database)
        assert second.returncode != 0
        assert f"the database {database} is already open in process {first.process.pid} (cashbackd)" \
            in second.stderr, second.stderr
        # The first one is untouched and still serves.
        with grpc.insecure_channel(first.address) as channel:
            assert raw_call(channel, "/grpc.health.v1.Health/Check")(b"") == b"\x08\x01"
        # So is verify, which would migrate (write) the file.
        busy = cashbackd("verify", "--database", database)
        assert busy.returncode == 2
        assert "already open in process" in busy.stderr
    finally:
        assert first.stop() == 0
    # Once the first has stopped, the file is free again.
    assert cashbackd("verify", "--database", database).returncode == 0


def test_start_errors_name_the_path_and_the_cause(tmp_path):
    missing = tmp_path / "absent" / "ledger.sqlite"
    result = cashbackd("--plaintext", "--listen", "127.0.0.1:0", "--database", str(missing))
    assert result.returncode != 0
    assert f"the folder {tmp_path / 'absent'} of the database {missing} does not exist" \
        in result.stderr, result.stderr
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"A" * 4096)
    result = cashbackd("--plaintext", "--listen", "127.0.0.1:0", "--database", str(junk))
    assert result.returncode != 0
    assert f"cannot open the database {junk}: it is not a SQLite database" in result.stderr
    assert "GRDB" not in result.stderr
