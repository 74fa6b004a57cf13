"""Metrics and the access log of a real cashbackd: /metrics scraped over HTTP with urllib and
parsed with prometheus_client, the Grafana dashboard's metric names looked up in that scrape,
and the JSON access lines read from the server's standard error."""
import json
import re
import socket
import urllib.error
import urllib.request

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import ROOT, VECTORS, Server, vector

DASHBOARD = ROOT / "Examples/observability/grafana-dashboard.json"
GET_BALANCE = "cashback.v1.Wallet/GetBalance"


def raw_call(channel, path):
    return channel.unary_unary(path, request_serializer=None, response_deserializer=None)


def vector_json(name):
    return next(entry["json"] for entry in VECTORS["valid"] if entry["name"] == name)


def scrape(url):
    """The families and samples of one scrape: {family: type}, {(sample, labels): value}."""
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    families, samples = {}, {}
    for family in text_string_to_metric_families(text):
        families[family.name] = family.type
        for sample in family.samples:
            samples[sample.name, frozenset(sample.labels.items())] = sample.value
    return families, samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


@pytest.fixture(scope="module")
def observed(tmp_path_factory):
    """A server with metrics and the JSON access log, after a few calls: three OK, one NOT
    FOUND, one UNAUTHENTICATED and one to a method that does not exist. Yields the server,
    the scrape's families and samples, and the access lines."""
    database = str(tmp_path_factory.mktemp("metrics") / "ledger.sqlite")
    server = Server(database, extra_args=(
        "--metrics-listen", "127.0.0.1:0", "--log-format", "json"))
    try:
        line = server.wait_for_log(r"serving metrics on http://127\.0\.0\.1:\d+/metrics")
        url = re.search(r"http://127\.0\.0\.1:\d+/metrics", line).group(0)
        with server.channel() as channel:
            raw_call(channel, "/cashback.v1.Admin/UpsertMerchant")(vector("upsert-merchant"))
            raw_call(channel, "/cashback.v1.Accruals/Accrue")(vector("accrue"))
            raw_call(channel, "/" + GET_BALANCE).with_call(
                vector("get-balance"), metadata=(("x-request-id", "trace-42"),))
            with pytest.raises(grpc.RpcError) as missing:
                # Confirm of an order never accrued: field 1 merchant, field 2 order id.
                raw_call(channel, "/cashback.v1.Accruals/Confirm")(
                    b"\x0a\x06shop-1\x12\x04nope")
            assert missing.value.code() == grpc.StatusCode.NOT_FOUND
            with pytest.raises(grpc.RpcError) as unknown:
                raw_call(channel, "/cashback.v1.Wallet/Steal")(vector("get-balance"))
            assert unknown.value.code() == grpc.StatusCode.UNIMPLEMENTED
            with grpc.insecure_channel(server.address) as anonymous:
                with pytest.raises(grpc.RpcError) as refused:
                    raw_call(anonymous, "/" + GET_BALANCE)(vector("get-balance"))
                assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            # Scraped while the first channel's connection is still open.
            families, samples = scrape(url)
        server.wait_for_log(r'"status":"UNAUTHENTICATED"')
        access = [json.loads(line) for line in server.log if '"label":"cashback.access"' in line]
        yield server, url, families, samples, access
    finally:
        server.stop()


def test_the_scrape_counts_calls_connections_the_writer_and_the_ledger(observed):
    server, url, families, samples, _ = observed
    requests = "cashback_rpc_requests_total"
    assert value(samples, requests, method=GET_BALANCE, code="OK") == 1
    assert value(samples, requests, method=GET_BALANCE, code="UNAUTHENTICATED") == 1
    assert value(samples, requests, method="cashback.v1.Accruals/Confirm", code="NOT_FOUND") == 1
    assert value(samples, requests, method="unknown", code="UNIMPLEMENTED") == 1
    # A method nobody called is there with 0; a status nothing ended with is not there at all.
    assert value(samples, requests, method="cashback.v1.Wallet/Redeem", code="OK") == 0
    assert value(samples, requests, method=GET_BALANCE, code="INTERNAL") is None

    duration = "cashback_rpc_request_duration_seconds"
    assert families[duration] == "histogram"
    assert value(samples, duration + "_count", method=GET_BALANCE) == 2
    assert value(samples, duration + "_bucket", method=GET_BALANCE, le="+Inf") == 2
    bounds = sorted(float(dict(labels)["le"]) for name, labels in samples
                    if name == duration + "_bucket" and ("method", GET_BALANCE) in labels)
    assert bounds[0] == 50e-6 and bounds[-2] == 10.0  # 50 µs to 10 s, then +Inf

    # grpcio's channels share their connection; it is still open. Every call was answered,
    # and a server closes a stream as it sends the end of its answer.
    assert value(samples, "cashback_connections_accepted_total") >= 1
    assert value(samples, "cashback_connections_open") >= 1
    assert value(samples, "cashback_streams_active") == 0

    # UpsertMerchant, Accrue and the refused Confirm went through the writer, one commit each
    # (the calls came one at a time); the refusal rolled back only its own savepoint.
    assert value(samples, "cashback_writer_commands_total") == 3
    assert value(samples, "cashback_writer_batch_size_count") == 3
    assert value(samples, "cashback_writer_batch_size_sum") == 3
    assert value(samples, "cashback_writer_commit_duration_seconds_count") == 3
    assert value(samples, "cashback_writer_queue_depth") == 0
    assert value(samples, "cashback_ledger_accruals_total", event="booked") == 1
    assert value(samples, "cashback_ledger_accruals_total", event="confirmed") == 0
    assert value(samples, "cashback_ledger_cashback_minor_units_total",
                 event="booked", currency="EUR") == vector_json("accrue-response")["cashbackMinor"]

    # Only GET /metrics is served.
    base = url.removesuffix("/metrics")
    for path, method, status in (("/", "GET", 404), ("/metrics", "POST", 405)):
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(urllib.request.Request(base + path, method=method, data=None),
                                   timeout=10)
        assert error.value.code == status


def test_every_metric_of_the_dashboard_is_in_the_scrape(observed):
    _, _, families, samples, _ = observed
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [target["expr"] for panel in dashboard["panels"]
                   for target in panel.get("targets", [])]
    expressions.append(dashboard["templating"]["list"][1]["query"]["query"])
    names = {name for expression in expressions
             for name in re.findall(r"\bcashback_[a-z0-9_]+", expression)}
    assert len(names) >= 12, names
    sample_names = {name for name, _ in samples}
    for name in sorted(names):
        assert name in sample_names, f"the dashboard uses {name}, which the scrape lacks"
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        if family != name:
            assert families.get(family) == "histogram", f"{name}: {family} is not a histogram"


def test_one_json_access_line_per_call_without_the_token(observed):
    server, _, _, _, access = observed
    assert [line["method"] for line in access] == [
        "cashback.v1.Admin/UpsertMerchant", "cashback.v1.Accruals/Accrue", GET_BALANCE,
        "cashback.v1.Accruals/Confirm", "cashback.v1.Wallet/Steal", GET_BALANCE]
    assert [line["status"] for line in access] == [
        "OK", "OK", "OK", "NOT_FOUND", "UNIMPLEMENTED", "UNAUTHENTICATED"]
    for line in access:
        assert line["level"] == "info" and line["msg"] == "call"
        assert isinstance(line["durationMilliseconds"], float)
        assert re.fullmatch(r"127\.0\.0\.1:\d+", line["peer"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["ts"])
    assert access[2]["requestId"] == "trace-42"
    assert len({line["requestId"] for line in access}) == len(access)
    # The token's name, once admitted; no actor where no token was admitted.
    assert all(line["actor"].startswith("interop-") for line in access[:4])
    assert "actor" not in access[4] and "actor" not in access[5]
    log = "".join(server.log)
    assert server.token not in log
    # The secret is everything after `cbk_<16 hex>_`; base64url may itself contain `_`.
    assert server.token[21:] not in log


def test_one_address_holds_at_most_four_metrics_connections_and_head_has_no_body(observed):
    """Four idle connections from 127.0.0.1 take that address's share: a fifth is closed at
    once; once they close, the scrape works again. HEAD answers GET's headers, no body."""
    _, url, _, _, _ = observed
    host, port = re.search(r"http://([\d.]+):(\d+)/", url).groups()
    held = []
    try:
        for _ in range(4):
            # Admitted for sure once it has an answer (connections are admitted on several
            # event loops, not in the order they were opened); kept alive after it.
            connection = socket.create_connection((host, int(port)), timeout=5)
            held.append(connection)
            connection.sendall(b"HEAD /metrics HTTP/1.1\r\nhost: test\r\n\r\n")
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = connection.recv(4096)
                assert chunk, "a held connection was refused"
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200 OK")
        fifth = socket.create_connection((host, int(port)), timeout=5)
        assert fifth.recv(1) == b""  # closed by the server at once, nothing sent
        fifth.close()
    finally:
        for connection in held:
            connection.close()
    for _ in range(100):  # the server sees the four close
        try:
            scrape(url)
            break
        except (urllib.error.URLError, ConnectionError):
            continue
    request = urllib.request.Request(url, method="HEAD")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert int(response.headers["content-length"]) > 0
        assert response.read() == b""
