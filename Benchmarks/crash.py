#!/usr/bin/env python3
"""Crash safety under load: kill -9 cashbackd while it books accruals, restart it, and prove
that every accrual it acknowledged is still there, exactly once.

Each cycle starts cashbackd (--plaintext --development-token-file) on one database file in a
temporary folder, sends Accrue with unique order ids from several connections at once, and
records every acknowledged accrual (order id -> accrual id). At a random moment (seeded,
printed) after the first acknowledgement it sends SIGKILL, restarts the server on the same
file, and checks:

1. every acknowledged order is there, read without writing (Accruals/GetAccrual): the same
   accrual id, cashback and state;
2. Admin/Verify is clean, and the file holds at least every acknowledged accrual and at most
   every accrual sent (the unanswered ones may or may not have committed);
3. replaying each acknowledged Accrue answers the same accrual id and cashback, and Verify's
   accrual and journal counts do not move: the replays wrote nothing (the wire's form of
   `replayed == true`).

After the last cycle, every accrual acknowledged in any cycle is read back once more.
Everything runs on 127.0.0.1 with ephemeral ports; each cycle is bounded in time.

    .build-interop/venv/bin/python Benchmarks/crash.py --cycles 20
    CASHBACKD=.build/release/cashbackd .build-interop/venv/bin/python Benchmarks/crash.py

Exit status: 0 when nothing was lost, 1 on any loss or breach (the message names the order,
the cycle and what was found instead), 2 when the run itself failed (cashbackd did not start).
It needs grpcio (`make test-deps` installs it in .build-interop/venv).
"""
import argparse
import os
import pathlib
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import grpc

ROOT = pathlib.Path(__file__).resolve().parents[1]
MERCHANT = "crash-shop"
CURRENCY = "EUR"
ORDERED_AT_MS = 1_700_000_000_000
# Accruals per member: far below the velocity limit of 100 new accruals per member an hour.
ORDERS_PER_MEMBER = 50
# States of `cashback.v1.AccrualState` (Protocol/cashback/v1/accruals.rpc).
PENDING = 1


class Lost(Exception):
    """An acknowledged accrual is missing, duplicated or changed, or the books are not clean."""


class RunFailed(Exception):
    """The run could not be carried out (cashbackd did not start, a call failed oddly)."""


# MARK: The compact codec (Protocol/WIRE.md §5), as far as these messages need it

def _varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def string_field(number, text):
    data = text.encode()
    return _varint(number << 3 | 2) + _varint(len(data)) + data if data else b""


def _int64(number, value):
    """A zig-zag `int64` field (WIRE.md §5.3); 0 is the default and not written."""
    return _varint(number << 3) + _varint((value << 1) ^ (value >> 63)) if value else b""


def _uint32(number, value):
    return _varint(number << 3) + _varint(value) if value else b""


def message_fields(payload):
    """The top-level fields of a compact message: {number: [value, ...]}, a varint as an int and a
    length-delimited value as bytes (nested messages are left undecoded)."""
    fields, offset = {}, 0

    def read_varint():
        nonlocal offset
        value, shift = 0, 0
        while True:
            byte = payload[offset]
            offset += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7

    while offset < len(payload):
        tag = read_varint()
        number, wire_type = tag >> 3, tag & 7
        if wire_type == 0:
            value = read_varint()
        elif wire_type == 2:
            length = read_varint()
            value = payload[offset:offset + length]
            offset += length
        else:
            raise RunFailed(f"unexpected wire type {wire_type} in a response: {payload.hex()}")
        fields.setdefault(number, []).append(value)
    return fields


def _signed(fields, number):
    """The last `int64` value of field `number` (zig-zag decoded), or 0."""
    raw = fields.get(number, [0])[-1]
    return (raw >> 1) ^ -(raw & 1)


def upsert_merchant_request():
    """UpsertMerchantRequest: the cycle's merchant, 250 bps, keyed so that a rerun replays."""
    return (string_field(1, MERCHANT) + string_field(2, "Crash test shop")
            + string_field(3, CURRENCY) + _uint32(4, 250) + _uint32(5, 400)
            + string_field(9, f"{MERCHANT}-upsert"))


def accrue_request(order_id, member_id, amount_minor):
    """AccrueRequest for one order of MERCHANT."""
    return (string_field(1, MERCHANT) + string_field(2, order_id) + string_field(3, member_id)
            + _int64(4, amount_minor) + string_field(5, CURRENCY) + _int64(6, ORDERED_AT_MS))


def order_ref(order_id):
    """OrderRef of one order of MERCHANT."""
    return string_field(1, MERCHANT) + string_field(2, order_id)


def accrue_response(payload):
    """AccrueResponse as (accrual id, cashback, state)."""
    fields = message_fields(payload)
    return _signed(fields, 1), _signed(fields, 2), fields.get(3, [0])[-1]


def accrual(payload):
    """Accrual (GetAccrual's answer) as (accrual id, order id, cashback, state)."""
    fields = message_fields(payload)
    order_id = fields.get(3, [b""])[-1].decode()
    return _signed(fields, 1), order_id, _signed(fields, 9), fields.get(6, [0])[-1]


def verify_response(payload):
    """VerifyResponse as a dict: ok, breach messages, journal entries, accruals."""
    fields = message_fields(payload)
    breaches = []
    for raw in fields.get(2, []):
        breach = message_fields(raw)
        breaches.append(b": ".join(breach.get(1, [b""]) + breach.get(2, [b""])).decode())
    return {"ok": fields.get(1, [0])[-1] == 1, "breaches": breaches,
            "journal_entries": _signed(fields, 4), "accruals": _signed(fields, 5)}


# MARK: The server

class Cashbackd:
    """One cashbackd process on `database`, serving h2c on 127.0.0.1 with an ephemeral port,
    with the development token (every scope) kept in a file beside the database."""

    START_SECONDS = 120

    def __init__(self, binary, database):
        self.token_file = database + ".dev-token"
        self.process = subprocess.Popen(
            [binary, "--plaintext", "--listen", "127.0.0.1:0", "--database", database,
             "--development-token-file", self.token_file, "--log-level", "notice"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True)
        self.log = []
        timer = threading.Timer(self.START_SECONDS, self.process.kill)
        timer.start()
        try:
            for line in self.process.stderr:
                self.log.append(line)
                match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
                if match:
                    self.address = f"127.0.0.1:{match.group(1)}"
                    break
            else:
                raise RunFailed(f"cashbackd ({binary}) did not start:\n" + "".join(self.log))
        finally:
            timer.cancel()
        self.token = pathlib.Path(self.token_file).read_text().strip()
        # Keep reading the log, so that a full pipe never blocks the server.
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()

    def _drain(self):
        for line in self.process.stderr:
            self.log.append(line)

    def channel(self):
        """A channel of its own (its own TCP connection) sending the development token."""
        channel = grpc.insecure_channel(self.address,
                                        options=[("grpc.use_local_subchannel_pool", 1)])
        return grpc.intercept_channel(channel, _Bearer(self.token))

    def kill(self):
        """SIGKILL, and waits for the process to be gone."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.drain.join(timeout=30)

    def stop(self):
        """SIGTERM (a graceful stop); the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=60)
        self.drain.join(timeout=30)
        return status


class _Bearer(grpc.UnaryUnaryClientInterceptor):
    def __init__(self, token):
        self.metadata = (("authorization", f"Bearer {token}"),)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(
            details._replace(metadata=tuple(details.metadata or ()) + self.metadata), request)


def _call(channel, method):
    return channel.unary_unary(f"/cashback.v1.{method}", request_serializer=None,
                               response_deserializer=None)


# MARK: Load

class Load:
    """Accrue from `connections` threads, each on its own connection, until the server dies
    or `deadline` passes. `acknowledged` maps each order answered OK to (accrual id, cashback,
    request); `unanswered` holds the orders sent without an answer."""

    CALL_TIMEOUT_SECONDS = 20

    def __init__(self, server, cycle, connections, deadline):
        self.server, self.cycle, self.deadline = server, cycle, deadline
        self.acknowledged, self.unanswered, self.errors = {}, [], []
        self.first = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(index,), daemon=True)
                        for index in range(connections)]

    def start(self):
        for thread in self.threads:
            thread.start()

    def join(self):
        for thread in self.threads:
            thread.join(timeout=self.CALL_TIMEOUT_SECONDS + 10)
            if thread.is_alive():
                raise RunFailed(f"cycle {self.cycle}: a load thread did not stop")

    def _run(self, connection):
        with self.server.channel() as channel:
            accrue = _call(channel, "Accruals/Accrue")
            index = 0
            while time.monotonic() < self.deadline:
                order = f"c{self.cycle}-k{connection}-{index}"
                member = f"c{self.cycle}-k{connection}-m{index // ORDERS_PER_MEMBER}"
                request = accrue_request(order, member, 1_000 + index * 7 % 90_000)
                try:
                    answer = accrue(request, timeout=self.CALL_TIMEOUT_SECONDS)
                except grpc.RpcError as error:
                    with self.lock:
                        self.unanswered.append(order)
                        if error.code() != grpc.StatusCode.UNAVAILABLE:
                            self.errors.append(f"{order}: {error.code().name}: {error.details()}")
                    return
                accrual_id, cashback, state = accrue_response(answer)
                with self.lock:
                    self.acknowledged[order] = (accrual_id, cashback, request)
                self.first.set()
                index += 1


# MARK: Checks

def check_present(channel, acknowledged, cycle):
    """Every acknowledged order reads back (GetAccrual, no write) as it was acknowledged."""
    get = _call(channel, "Accruals/GetAccrual")
    for order, (accrual_id, cashback, _) in acknowledged.items():
        try:
            found = accrual(get(order_ref(order), timeout=30))
        except grpc.RpcError as error:
            raise Lost(f"cycle {cycle}: order {order} was acknowledged as accrual {accrual_id} "
                       f"but after the restart GetAccrual answers {error.code().name}: "
                       f"{error.details()}") from None
        if found != (accrual_id, order, cashback, PENDING):
            raise Lost(f"cycle {cycle}: order {order} was acknowledged as accrual {accrual_id} "
                       f"with cashback {cashback}, PENDING; after the restart it reads "
                       f"(accrual id, order, cashback, state) = {found}")


def verify(channel, cycle):
    """Admin/Verify, which must be clean."""
    report = verify_response(_call(channel, "Admin/Verify")(b"", timeout=120))
    if not report["ok"] or report["breaches"]:
        raise Lost(f"cycle {cycle}: Verify found breaches after the restart: "
                   + "; ".join(report["breaches"][:10]))
    return report


def check_replays(channel, acknowledged, cycle):
    """Replaying each acknowledged Accrue answers its accrual and writes nothing."""
    accrue = _call(channel, "Accruals/Accrue")
    before = verify(channel, cycle)
    for order, (accrual_id, cashback, request) in acknowledged.items():
        replayed = accrue_response(accrue(request, timeout=30))
        if replayed != (accrual_id, cashback, PENDING):
            raise Lost(f"cycle {cycle}: the replay of order {order} answers (accrual id, "
                       f"cashback, state) = {replayed}, not ({accrual_id}, {cashback}, PENDING): "
                       f"it was booked again")
    after = verify(channel, cycle)
    for count in ("accruals", "journal_entries"):
        if after[count] != before[count]:
            raise Lost(f"cycle {cycle}: replaying {len(acknowledged)} acknowledged accruals "
                       f"changed Verify's {count} from {before[count]} to {after[count]}: a "
                       f"replay wrote")
    return after


# MARK: The run

def run_cycle(binary, database, cycle, rng, connections, max_delay, cycle_seconds, out):
    """One cycle: load, kill -9 at a random moment, restart, check. Returns the acknowledged
    accruals and the number of orders sent."""
    started = time.monotonic()
    deadline = started + cycle_seconds
    server = Cashbackd(binary, database)
    try:
        with server.channel() as channel:
            _call(channel, "Admin/UpsertMerchant")(upsert_merchant_request(), timeout=30)
        load = Load(server, cycle, connections, deadline)
        delay = rng.uniform(0.05, max_delay)
        load.start()
        if not load.first.wait(timeout=max(deadline - time.monotonic(), 0)):
            raise RunFailed(f"cycle {cycle}: no accrual was acknowledged within "
                            f"{cycle_seconds} s:\n" + "".join(server.log[-20:]))
        time.sleep(delay)
    finally:
        server.kill()
    load.join()
    if load.errors:
        raise RunFailed(f"cycle {cycle}: Accrue failed other than by the kill: {load.errors[:3]}")

    restarted = Cashbackd(binary, database)
    try:
        with restarted.channel() as channel:
            check_present(channel, load.acknowledged, cycle)
            report = check_replays(channel, load.acknowledged, cycle)
    finally:
        status = restarted.stop()
    if status != 0:
        raise RunFailed(f"cycle {cycle}: the restarted cashbackd exited {status} on SIGTERM:\n"
                        + "".join(restarted.log[-20:]))
    out(f"cycle {cycle}: killed {delay:.2f} s after the first acknowledgement: "
        f"{len(load.acknowledged)} acknowledged, {len(load.unanswered)} unanswered; after the "
        f"restart all present once, replays wrote nothing, Verify ok ({report['accruals']} "
        f"accruals, {report['journal_entries']} journal entries), "
        f"{time.monotonic() - started:.1f} s")
    if time.monotonic() > deadline:
        raise RunFailed(f"cycle {cycle}: took more than {cycle_seconds} s")
    return load.acknowledged, len(load.acknowledged) + len(load.unanswered), report


def run(cycles=20, seed=None, connections=4, max_delay=3.0, cycle_seconds=120,
        binary=None, directory=None, out=print):
    """Runs `cycles` kill-and-restart cycles on one database; raises Lost on any loss and
    RunFailed when the run could not be carried out. Returns the number of accruals
    acknowledged in all."""
    binary = binary or os.environ.get("CASHBACKD", str(ROOT / ".build/debug/cashbackd"))
    if not os.access(binary, os.X_OK):
        raise RunFailed(f"no cashbackd at {binary}: build it (swift build --product cashbackd) "
                        f"or name it with --cashbackd or $CASHBACKD")
    seed = random.randrange(1 << 32) if seed is None else seed
    rng = random.Random(seed)
    out(f"crash safety: {cycles} cycles, seed {seed}, {connections} connections, kill within "
        f"{max_delay} s of the first acknowledgement, cashbackd {binary}")
    with tempfile.TemporaryDirectory(prefix="cashback-crash-", dir=directory) as folder:
        database = os.path.join(folder, "ledger.sqlite")
        every, sent = {}, 0
        for cycle in range(1, cycles + 1):
            acknowledged, sent_now, report = run_cycle(
                binary, database, cycle, rng, connections, max_delay, cycle_seconds, out)
            every.update(acknowledged)
            sent += sent_now
            if not len(every) <= report["accruals"] <= sent:
                raise Lost(f"cycle {cycle}: the file holds {report['accruals']} accruals; "
                           f"{len(every)} were acknowledged and {sent} sent in all")
        final = Cashbackd(binary, database)
        try:
            with final.channel() as channel:
                check_present(channel, every, "final")
                verify(channel, "final")
        finally:
            final.stop()
    out(f"crash safety: ok: {len(every)} acknowledged accruals over {cycles} kill -9 cycles, "
        f"none lost or booked twice (seed {seed})")
    return len(every)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=20, help="kill-and-restart cycles (20)")
    parser.add_argument("--seed", type=int, help="seed of the kill delays (default: random, "
                        "printed)")
    parser.add_argument("--connections", type=int, default=4,
                        help="connections sending Accrue at once (4)")
    parser.add_argument("--max-delay", type=float, default=3.0,
                        help="the kill comes within this many seconds of the first "
                        "acknowledgement (3)")
    parser.add_argument("--cycle-seconds", type=float, default=120,
                        help="a cycle taking longer fails the run (120)")
    parser.add_argument("--cashbackd", help="the cashbackd binary (default: $CASHBACKD, else "
                        ".build/debug/cashbackd)")
    arguments = parser.parse_args()
    for name in ("cycles", "connections"):
        if getattr(arguments, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if arguments.max_delay <= 0.05:
        parser.error("--max-delay must be above 0.05 seconds")
    try:
        run(arguments.cycles, arguments.seed, arguments.connections, arguments.max_delay,
            arguments.cycle_seconds, arguments.cashbackd)
    except Lost as loss:
        print(f"crash safety: LOSS: {loss}", file=sys.stderr)
        return 1
    except RunFailed as failure:
        print(f"crash safety: the run failed: {failure}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
