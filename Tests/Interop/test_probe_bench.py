"""The built `cashback-probe bench` against a real cashbackd: a run of Accrues with unique order
ids from templates, its JSON report, and the ledger checked afterwards with grpcio."""
import json
import sys

from conftest import ROOT, probe

# The compact codec's few Python lines live in Benchmarks/crash.py; one copy serves both.
sys.path.insert(0, str(ROOT / "Benchmarks"))
import crash  # noqa: E402

CALLS = 64
CONNECTIONS = 2
CALLS_PER_CONNECTION = 4


def test_bench_books_exactly_one_accrual_per_request(server):
    upsert = probe(server, "call", "cashback.v1.Admin/UpsertMerchant", "-d", json.dumps({
        "merchantId": "shop-1", "name": "Shop", "currency": "EUR", "shopperRateBps": 250,
        "idempotencyKey": "shop-1-v1"}))
    assert upsert.returncode == 0, upsert.stderr

    # One member per worker: 64 calls over 8 workers stay under the velocity limit (100 new
    # accruals per member per hour) however they are shared out.
    run = probe(server, "bench", "cashback.v1.Accruals/Accrue", "--format", "json",
                "-n", str(CALLS), "-c", str(CONNECTIONS), "-m", str(CALLS_PER_CONNECTION),
                "-d", json.dumps({
                    "merchantId": "shop-1", "orderId": "bench-{{n}}", "memberId": "m{{worker}}",
                    "amountMinor": 1000, "currency": "EUR", "orderedAtMs": 1700000000000}))
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["count"] == CALLS
    assert report["statuses"] == {"OK": CALLS}
    assert report["connections"] == CONNECTIONS
    assert report["callsPerConnection"] == CALLS_PER_CONNECTION
    assert report["durationUs"] > 0 and report["requestsPerSecond"] > 0
    latency = report["latencyUs"]
    assert 0 < latency["min"] <= latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]
    assert sum(bucket["count"] for bucket in report["histogram"]) == CALLS

    # The ledger holds exactly one accrual per request number, each for a worker's member.
    verify = probe(server, "call", "cashback.v1.Admin/Verify", "-d", "{}")
    books = json.loads(verify.stdout)
    assert books["ok"] is True
    assert books["accruals"] == CALLS
    workers = {f"m{index}".encode() for index in range(CONNECTIONS * CALLS_PER_CONNECTION)}
    with server.channel() as channel:
        get_accrual = channel.unary_unary("/cashback.v1.Accruals/GetAccrual",
                                          request_serializer=None, response_deserializer=None)
        for number in range(CALLS):
            order = f"bench-{number}"
            request = crash.string_field(1, "shop-1") + crash.string_field(2, order)
            accrual = crash.message_fields(get_accrual(request))
            assert accrual[3] == [order.encode()]  # order_id
            assert accrual[4][0] in workers  # member_id
