"""The built `cashback-probe bench` against a real cashbackd: a run of Accrues with unique order
ids from templates, its JSON report, and the ledger checked afterwards with grpcio."""
import json
import os
import pathlib
import subprocess

import pytest

from conftest import BINARY

# Beside cashbackd unless named: `make interop-test` builds both.
PROBE = os.environ.get("CASHBACK_PROBE", str(pathlib.Path(BINARY).parent / "cashback-probe"))

CALLS = 64
CONNECTIONS = 2
CALLS_PER_CONNECTION = 4


def probe(server, *args, timeout=120):
    """Runs the probe against `server` with its token (from the environment, as a script
    would pass it)."""
    if not os.access(PROBE, os.X_OK):
        pytest.fail(f"no cashback-probe at {PROBE}: build it (swift build --product "
                    "cashback-probe) or name it with CASHBACK_PROBE")
    return subprocess.run([PROBE, "--plaintext", server.address, *args], capture_output=True,
                          text=True, timeout=timeout,
                          env={**os.environ, "CASHBACK_TOKEN": server.token})


def string_fields(payload):
    """The length-delimited fields of a compact message as {field number: bytes}; varints and
    fixed-width fields are skipped (WIRE.md §5.2: protobuf's layouts for wire types 0, 1, 2, 5)."""
    fields, offset = {}, 0

    def varint():
        nonlocal offset
        value, shift = 0, 0
        while True:
            byte = payload[offset]
            offset += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    while offset < len(payload):
        tag = varint()
        wire_type = tag & 7
        if wire_type == 0:
            varint()
        elif wire_type == 1:
            offset += 8
        elif wire_type == 5:
            offset += 4
        else:
            assert wire_type == 2, f"wire type {wire_type} at {offset}"
            length = varint()
            fields[tag >> 3] = payload[offset:offset + length]
            offset += length
    return fields


def compact_strings(*values):
    """A compact message of string fields 1, 2, … holding `values` (each under 128 bytes)."""
    message = b""
    for number, value in enumerate(values, start=1):
        encoded = value.encode()
        message += bytes([number << 3 | 2, len(encoded)]) + encoded
    return message


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
            accrual = string_fields(get_accrual(compact_strings("shop-1", order)))
            assert accrual[3] == order.encode()  # order_id
            assert accrual[4] in workers  # member_id
