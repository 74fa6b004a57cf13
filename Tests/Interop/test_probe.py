"""The built `cashback-probe` against a real cashbackd process: `-v` shows the headers and
trailers that went over the wire with the token redacted, and `--format json` prints one JSON
value a line for each family of verbs (list, describe, call, health, decode) and an error
object on standard error. One server serves the whole module."""
import json
import signal
import subprocess

import pytest

from conftest import PROBE, Server, probe


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    running = Server(str(tmp_path_factory.mktemp("probe") / "ledger.sqlite"))
    yield running
    running.stop(signal.SIGKILL)


def json_lines(text):
    """Each line of `text` parsed as JSON."""
    return [json.loads(line) for line in text.splitlines()]


def test_verbose_shows_headers_and_trailers_with_the_token_redacted(shared_server):
    run = probe(shared_server, "-v", "call", "cashback.v1.Wallet/GetBalance",
                "-d", '{"memberId":"m1","currency":"EUR"}')
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["pendingMinor"] == 0  # standard output: the response alone
    lines = run.stderr.splitlines()
    assert lines[0].startswith(f"* connected to {shared_server.address} (h2c) in "), run.stderr
    for line in ["> :method: POST", "> :path: /cashback.v1.Wallet/GetBalance",
                 "> te: trailers", "> authorization: Bearer <redacted>", "< :status: 200",
                 "< content-type: application/grpc+compact", "< grpc-status: 0"]:
        assert line in lines, f"{line!r} not in:\n{run.stderr}"
    # The default deadline, sent as grpc-timeout (the probe's unit: 30 s in microseconds).
    assert "> grpc-timeout: 30000000u" in lines, run.stderr
    assert lines[-1].startswith("* total "), run.stderr
    assert shared_server.token not in run.stderr


def test_verbose_json_of_a_failed_call(shared_server):
    run = probe(shared_server, "-v", "--format", "json", "call", "cashback.v1.Accruals/Confirm",
                "-d", '{"merchantId":"none","orderId":"o-1"}')
    assert run.returncode == 64 + 5, run.stderr
    assert run.stdout == ""
    call, error = json_lines(run.stderr)
    headers = {field["name"]: field["value"] for field in call["call"]["requestHeaders"]}
    assert headers["authorization"] == "Bearer <redacted>"
    trailers = {field["name"]: field["value"] for field in call["call"]["trailers"]}
    assert trailers["grpc-status"] == "5"
    assert "responseHeaders" not in call["call"]  # trailers-only
    assert error["error"]["code"] == "NOT_FOUND" and error["error"]["exitCode"] == 69
    assert shared_server.token not in run.stderr


def test_json_list_describe_health(shared_server):
    listed = json_lines(probe(shared_server, "--format", "json", "list").stdout)
    assert len(listed) == 1
    names = {method["name"] for service in listed[0]["services"] for method in service["methods"]}
    assert {"cashback.v1.Wallet/GetBalance", "grpc.health.v1.Health/Check"} <= names

    described = probe(shared_server, "--format", "json", "describe", "cashback.v1.Admin/ExportJournal")
    method = json.loads(described.stdout)
    assert method["kind"] == "method" and method["serverStreaming"] is True
    assert method["response"] == "cashback.v1.JournalEntry"

    health = probe(shared_server, "--format", "json", "health")
    assert (health.returncode, health.stdout) == (0, '{"status":"SERVING"}\n')
    # The same answer through `call`, which takes the health service as any listed method.
    checked = probe(shared_server, "--format", "json", "call", "grpc.health.v1.Health/Check")
    assert json_lines(checked.stdout) == [{"status": "SERVING"}]


def test_json_call_unary_and_streaming(shared_server):
    for index in range(3):
        adjusted = probe(shared_server, "--format", "json", "call", "cashback.v1.Admin/AdjustBalance",
                         "-d", json.dumps({"memberId": f"j{index}", "currency": "EUR",
                                           "amountMinor": 100 + index, "reason": "welcome",
                                           "actor": "interop", "idempotencyKey": f"j-{index}"}))
        assert adjusted.returncode == 0, adjusted.stderr
        assert len(adjusted.stdout.splitlines()) == 1
    balance = json_lines(probe(shared_server, "--format", "json", "call",
                               "cashback.v1.Wallet/GetBalance",
                               "-d", '{"memberId":"j2","currency":"EUR"}').stdout)
    assert balance[0]["availableMinor"] == 102
    journal = json_lines(probe(shared_server, "--format", "json", "call",
                               "cashback.v1.Admin/ExportJournal", "-d", '{"limit":100}').stdout)
    credits = [entry for entry in journal if entry["kind"] == "manual-credit"]
    assert len(credits) >= 3 and all("entryId" in entry for entry in journal)


def test_json_decode_and_errors(shared_server):
    frame = subprocess.run([PROBE, "encode", "cashback.v1.Wallet/GetBalance",
                            "-d", '{"memberId":"m1","currency":"EUR"}'],
                           capture_output=True, timeout=60, check=True).stdout
    decoded = subprocess.run([PROBE, "--format", "json", "decode", "cashback.v1.GetBalanceRequest"],
                             input=frame, capture_output=True, timeout=60)
    assert decoded.stdout == b'{"currency":"EUR","memberId":"m1"}\n'

    bad = probe(shared_server, "--format", "json", "call", "cashback.v1.Wallet/GetBalance",
                "-d", '{"memberID":"m1"}')
    assert bad.returncode == 2 and bad.stdout == ""
    error = json.loads(bad.stderr)["error"]
    assert error["code"] == "USAGE" and error["exitCode"] == 2 and "grpcCode" not in error
    assert error["message"].endswith('(did you mean "memberId"?)'), error
