"""cashbackd as a process: signals, durability across restarts, flags."""
import signal
import subprocess

import grpc
import pytest

from conftest import Server, vector


def cashbackd(*args, env=None):
    """Runs cashbackd to completion with `args`, and `env` added to the environment."""
    from conftest import ROOT
    import os
    binary = os.environ.get("CASHBACKD", str(ROOT / ".build/debug/cashbackd"))
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def raw_call(channel, path):
    return channel.unary_unary(path, request_serializer=None, response_deserializer=None)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_the_server_with_status_zero(database, sig):
    server = Server(database)
    with server.channel() as channel:
        assert raw_call(channel, "/grpc.health.v1.Health/Check")(b"") == b"\x08\x01"
        # The connection is still open while the server shuts down.
        assert server.stop(sig) == 0


def test_an_accrual_survives_a_restart(database):
    first = Server(database)
    with first.channel() as channel:
        raw_call(channel, "/cashback.v1.Admin/UpsertMerchant")(vector("upsert-merchant"))
        raw_call(channel, "/cashback.v1.Accruals/Accrue")(vector("accrue"))
    assert first.stop() == 0

    second = Server(database)
    try:
        with second.channel() as channel:
            balance = raw_call(channel, "/cashback.v1.Wallet/GetBalance")(vector("get-balance"))
            assert balance == vector("balance")
    finally:
        assert second.stop() == 0


def test_an_accrual_survives_a_kill(database):
    """SIGKILL right after the answer: what was acknowledged is in the file."""
    first = Server(database)
    with first.channel() as channel:
        raw_call(channel, "/cashback.v1.Admin/UpsertMerchant")(vector("upsert-merchant"))
        assert raw_call(channel, "/cashback.v1.Accruals/Accrue")(vector("accrue")) == vector(
            "accrue-response")
    first.stop(signal.SIGKILL)

    second = Server(database)
    try:
        with second.channel() as channel:
            assert raw_call(channel, "/cashback.v1.Wallet/GetBalance")(
                vector("get-balance")) == vector("balance")
    finally:
        second.stop()


@pytest.mark.parametrize("flags", [["--listen", "nohost"], ["--listen", "127.0.0.1:70000"]])
def test_bad_flags_are_refused(flags):
    result = cashbackd(*flags)
    assert result.returncode == 64  # a usage error, as for every other bad setting
    assert "--listen: invalid address" in result.stderr


def test_a_bad_address_from_the_environment_names_the_setting():
    result = cashbackd("--plaintext", env={"CASHBACKD_LISTEN": "nonsense"})
    assert result.returncode == 64
    assert "--listen: invalid address 'nonsense'" in result.stderr


def test_verify_offline_finds_clean_books_then_a_breach(database):
    import sqlite3
    server = Server(database)
    with server.channel() as channel:
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
        with first.channel() as channel:
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


def test_tokens_are_managed_while_the_server_runs(database):
    """`cashbackd token create|list|revoke` beside a running server: a revocation holds from
    the next call; no token is UNAUTHENTICATED; the list never shows a token."""
    from conftest import authorized, create_token
    server = Server(database)
    try:
        token = create_token(database, scopes="wallet,read", name="member-app")
        assert token.startswith("cbk_") and len(token) == 64
        with authorized(grpc.insecure_channel(server.address), token) as channel:
            assert raw_call(channel, "/cashback.v1.Wallet/GetBalance")(
                vector("get-balance")) == b""
            with pytest.raises(grpc.RpcError) as refused:
                raw_call(channel, "/cashback.v1.Admin/UpsertMerchant")(vector("upsert-merchant"))
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED

            listed = cashbackd("token", "list", "--database", database)
            assert listed.returncode == 0
            assert "member-app" in listed.stdout and "wallet,read" in listed.stdout
            assert token not in listed.stdout and token[21:] not in listed.stdout

            revoked = cashbackd("token", "revoke", "--database", database, "--name", "member-app")
            assert revoked.returncode == 0, revoked.stderr
            with pytest.raises(grpc.RpcError) as refused:
                raw_call(channel, "/cashback.v1.Wallet/GetBalance")(vector("get-balance"))
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert "revoked" in refused.value.details()

        with grpc.insecure_channel(server.address) as anonymous:
            with pytest.raises(grpc.RpcError) as refused:
                raw_call(anonymous, "/cashback.v1.Wallet/GetBalance")(vector("get-balance"))
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert raw_call(anonymous, "/grpc.health.v1.Health/Check")(b"") == b"\x08\x01"
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize("args, message", [
    (["--name", "x", "--scopes", "wallet,bogus"], "unknown scope 'bogus'"),
    (["--name", "x", "--scopes", ""], "unknown scope ''"),
    (["--name", "has space", "--scopes", "read"], "name"),
    (["--name", "x", "--scopes", "read,read"], "given twice"),
])
def test_token_create_refuses_bad_arguments(database, args, message):
    result = cashbackd("token", "create", "--database", database, *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert result.stdout == ""


def test_token_names_are_unique_among_active_tokens(database):
    from conftest import create_token
    create_token(database, name="shop-backend")
    again = cashbackd("token", "create", "--database", database, "--name", "shop-backend",
                      "--scopes", "accrual")
    assert again.returncode == 1
    assert "already named 'shop-backend'" in again.stderr
    assert cashbackd("token", "revoke", "--database", database, "--name", "shop-backend"
                     ).returncode == 0
    assert cashbackd("token", "revoke", "--database", database, "--name", "shop-backend"
                     ).stderr.startswith("cashbackd token: no active token is named")


def test_the_development_token_file_is_kept_across_restarts(database, tmp_path):
    path = tmp_path / "dev-token"
    first = Server(database, ["--development-token-file", str(path)])
    token = path.read_text().strip()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert first.stop() == 0
    second = Server(database, ["--development-token-file", str(path)])
    try:
        assert path.read_text().strip() == token
        from conftest import authorized
        with authorized(grpc.insecure_channel(second.address), token) as channel:
            assert raw_call(channel, "/cashback.v1.Wallet/GetBalance")(
                vector("get-balance")) == b""
    finally:
        assert second.stop() == 0


def test_a_development_token_file_others_could_read_is_replaced(database, tmp_path):
    """A token in a file that group or others could read may have been read: the next start
    revokes it and writes a new one, in a file that was never readable by anyone else."""
    path = tmp_path / "dev-token"
    first = Server(database, ["--development-token-file", str(path)])
    exposed = path.read_text().strip()
    assert first.stop() == 0
    path.chmod(0o644)
    second = Server(database, ["--development-token-file", str(path)])
    try:
        token = path.read_text().strip()
        assert token != exposed
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["dev-token"]
        from conftest import authorized
        with authorized(grpc.insecure_channel(second.address), exposed) as channel:
            with pytest.raises(grpc.RpcError) as refused:
                raw_call(channel, "/cashback.v1.Wallet/GetBalance")(vector("get-balance"))
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with authorized(grpc.insecure_channel(second.address), token) as channel:
            assert raw_call(channel, "/cashback.v1.Wallet/GetBalance")(
                vector("get-balance")) == b""
    finally:
        assert second.stop() == 0


def test_the_development_token_is_for_loopback_only(database, tmp_path):
    result = cashbackd("--plaintext", "--allow-insecure-remote", "--listen", "0.0.0.0:0",
                       "--database", database,
                       "--development-token-file", str(tmp_path / "dev-token"))
    assert result.returncode == 1
    assert "--development-token-file is for a first try on loopback" in result.stderr
    assert not (tmp_path / "dev-token").exists()


def accrual(index):
    """The golden `accrue` request for order `o-INDEX` of one of 1296 members (each stays far
    below the velocity limit of 100 accruals an hour)."""
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    member = alphabet[index // 36 % 36] + alphabet[index % 36]
    return (vector("accrue").replace(b"order-42", f"o-{index:06d}".encode())
            .replace(b"\x1a\x02m1", b"\x1a\x02" + member.encode()))


def test_a_backup_taken_under_write_load_restores_with_clean_books(database, tmp_path):
    import threading
    server = Server(database)
    written = []
    stop = threading.Event()
    fifty = threading.Event()

    def load():
        with server.channel() as channel:
            accrue = raw_call(channel, "/cashback.v1.Accruals/Accrue")
            index = 0
            while not stop.is_set() and index < 5000:
                accrue(accrual(index))
                written.append(index)
                if len(written) == 50:
                    fifty.set()
                index += 1

    try:
        with server.channel() as channel:
            raw_call(channel, "/cashback.v1.Admin/UpsertMerchant")(vector("upsert-merchant"))
        writer = threading.Thread(target=load)
        writer.start()
        assert fifty.wait(timeout=60)  # the backup starts while accruals are being written
        from conftest import create_token
        create_token(database, scopes="read", name="auditor")
        backup = tmp_path / "backup.sqlite"
        copied = cashbackd("backup", "--database", database, "--to", str(backup))
        assert copied.returncode == 0, copied.stderr
        # Revoked after the backup: restoring over this file must not bring it back.
        assert cashbackd("token", "revoke", "--database", database, "--name", "auditor"
                         ).returncode == 0
        stop.set()
        writer.join(timeout=120)
        assert cashbackd("backup", "--database", database, "--to", str(backup)).returncode == 1

        # Restoring over the running server's file is refused.
        refused = cashbackd("restore", "--from", str(backup), "--database", database, "--replace")
        assert refused.returncode == 2 and "already open" in refused.stderr
    finally:
        assert server.stop() == 0

    restored = tmp_path / "restored.sqlite"
    result = cashbackd("restore", "--from", str(backup), "--database", str(restored))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no breach" in result.stdout
    accruals = int(result.stdout.split(" accruals")[0].rsplit(" ", 1)[1])
    assert 50 <= accruals <= len(written)
    again = cashbackd("restore", "--from", str(backup), "--database", str(restored))
    assert again.returncode == 2 and "--replace" in again.stderr
    verified = cashbackd("verify", "--database", str(restored))
    assert verified.returncode == 0, verified.stdout

    over = cashbackd("restore", "--from", str(backup), "--database", database, "--replace")
    assert over.returncode == 0, over.stdout + over.stderr
    assert "revoked again 1 token(s)" in over.stdout
    listed = cashbackd("token", "list", "--database", database).stdout
    auditor = next(line for line in listed.splitlines() if line.startswith("auditor\t"))
    assert not auditor.endswith("\t-")  # its REVOKED column holds a time


def test_a_port_in_use_is_named_with_the_fix(database, tmp_path):
    server = Server(database)
    try:
        result = cashbackd("--plaintext", "--listen", server.address,
                           "--database", str(tmp_path / "other.sqlite"))
        assert result.returncode == 1
        assert (f"cannot listen on {server.address}: the address is in use" in result.stderr)
        assert "port 0 for a free one" in result.stderr
    finally:
        assert server.stop() == 0


def test_an_unknown_log_level_lists_the_valid_ones():
    result = cashbackd("--plaintext", "--log-level", "loud")
    assert result.returncode == 64
    assert ("unknown --log-level 'loud'; use one of trace, debug, info, notice, warning, error, "
            "critical") in result.stderr


def test_version():
    result = cashbackd("--version")
    assert result.returncode == 0 and result.stdout.strip().count(".") == 2


def test_settings_come_from_flags_then_the_environment_then_the_file(tmp_path):
    from conftest import ROOT
    import os
    config = tmp_path / "cashbackd.json"
    config.write_text('{"max-connections": 33, "write-queue-max": 44, "plaintext": true}')
    binary = os.environ.get("CASHBACKD", str(ROOT / ".build/debug/cashbackd"))
    environment = dict(os.environ, CASHBACKD_CONFIG=str(config), CASHBACKD_WRITE_QUEUE_MAX="55")
    result = subprocess.run([binary, "--print-config", "--max-connections", "66"],
                            capture_output=True, text=True, timeout=120, env=environment)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()}
    assert rows["max-connections"] == ["66", "flag"]
    assert rows["write-queue-max"] == ["55", "env", "CASHBACKD_WRITE_QUEUE_MAX"]
    assert rows["plaintext"] == ["true", "file", str(config)]
    assert rows["listen"] == ["127.0.0.1:50051", "default"]

    environment["CASHBACKD_WRITE_QEUE_MAX"] = "1"
    refused = subprocess.run([binary, "--print-config"], capture_output=True, text=True,
                             timeout=120, env=environment)
    assert refused.returncode == 64
    assert ("the environment variable CASHBACKD_WRITE_QEUE_MAX is not a cashbackd setting "
            "(did you mean CASHBACKD_WRITE_QUEUE_MAX?)") in refused.stderr


def test_a_server_configured_by_file_serves_with_its_settings(database, tmp_path):
    config = tmp_path / "cashbackd.json"
    config.write_text('{"plaintext": true, "max-message-bytes": 2048}')
    server = Server(database, extra_args=("--config", str(config)), transport=())
    try:
        with server.channel() as channel:
            with pytest.raises(grpc.RpcError) as failure:
                raw_call(channel, "/cashback.v1.Wallet/GetBalance")(b"\x0a" + b"\x7f" * 4000,
                                                                     timeout=30)
            assert failure.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    finally:
        assert server.stop() == 0
