#!/usr/bin/env python3
"""What an idle connection costs cashbackd: RSS before and after N idle HTTP/2 connections.

Starts cashbackd on a temporary database (h2c on loopback, or TLS with the test certificates),
opens N connections that each complete the HTTP/2 handshake (client preface and SETTINGS, the
server's SETTINGS read, its SETTINGS acknowledged; over TLS the handshake with ALPN h2 first),
then leaves them idle and reads the server's VmRSS from /proc. One health check on a first
connection warms the server up before the baseline is taken, so the difference is what the
idle connections hold.

    python3 Benchmarks/idle_connections.py --cashbackd .build/release/cashbackd \
        --connections 5000 [--tls]

Prints one JSON object: connections, rss_before_kib, rss_after_kib, kib_per_connection.
Everything runs on 127.0.0.1 and stops with the script.
"""

import argparse
import asyncio
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SETTINGS_EMPTY = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
SETTINGS_ACK = b"\x00\x00\x00\x04\x01\x00\x00\x00\x00"


def rss_kib(pid):
    """The process's resident set, from /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def start_server(cashbackd, directory, tls, connections):
    """cashbackd with room for every connection; returns (process, port)."""
    arguments = [
        cashbackd, "--listen", "127.0.0.1:0", "--database", str(directory / "ledger.sqlite"),
        "--max-connections", str(connections + 100),
        "--max-connections-per-peer", str(connections + 100),
        "--idle-timeout-seconds", "3600", "--log-level", "warning",
    ]
    if tls:
        subprocess.run(
            ["sh", str(ROOT / "Tests/make-test-certificates.sh"), str(directory / "certs")],
            check=True)
        arguments += ["--tls-cert", str(directory / "certs/server.pem"),
                      "--tls-key", str(directory / "certs/server.key")]
    else:
        arguments += ["--plaintext"]
    # `listening on` is a notice: log at notice to read the port, then nothing per connection.
    arguments[arguments.index("warning")] = "notice"
    process = subprocess.Popen(arguments, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    for line in process.stderr:
        match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        if match:
            return process, int(match.group(1))
        if time.monotonic() > deadline:
            break
    process.kill()
    raise RuntimeError("cashbackd did not start")


async def read_frame(reader):
    header = await reader.readexactly(9)
    length = int.from_bytes(header[0:3], "big")
    payload = await reader.readexactly(length)
    return header[3], header[4], payload


async def open_idle(port, context):
    """One connection through the HTTP/2 handshake; returns its writer (kept open)."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="localhost" if context else None)
    writer.write(PREFACE + SETTINGS_EMPTY)
    await writer.drain()
    got_settings = got_ack = False
    while not (got_settings and got_ack):
        kind, flags, _ = await read_frame(reader)
        if kind == 4 and flags & 1:
            got_ack = True
        elif kind == 4:
            got_settings = True
            writer.write(SETTINGS_ACK)
            await writer.drain()
    return reader, writer


async def open_all(port, context, count, parallel=64):
    semaphore = asyncio.Semaphore(parallel)

    async def one():
        async with semaphore:
            return await asyncio.wait_for(open_idle(port, context), 30)

    return await asyncio.gather(*(one() for _ in range(count)))


def client_context(directory, tls):
    if not tls:
        return None
    context = ssl.create_default_context(cafile=str(directory / "certs/ca.pem"))
    context.set_alpn_protocols(["h2"])
    return context


def health_check(port, directory, tls):
    """One call through the probe if it is beside cashbackd (warms every code path)."""
    probe = Path(os.environ.get("CASHBACK_PROBE", ""))
    if not probe.is_file():
        return
    flags = ["--cacert", str(directory / "certs/ca.pem")] if tls else ["--plaintext"]
    subprocess.run([str(probe)] + flags + [f"127.0.0.1:{port}", "health"],
                   check=False, capture_output=True, timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cashbackd", required=True)
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--tls", action="store_true")
    options = parser.parse_args()
    if not 1 <= options.connections <= 15000:
        sys.exit("--connections must be 1...15000 (each takes a file descriptor on both sides)")

    with tempfile.TemporaryDirectory(prefix="cashback-idle-") as name:
        directory = Path(name)
        process, port = start_server(options.cashbackd, directory, options.tls,
                                     options.connections)
        try:
            context = client_context(directory, options.tls)
            health_check(port, directory, options.tls)

            async def measure():
                warm = await open_all(port, context, 1)
                before = rss_kib(process.pid)
                connections = await open_all(port, context, options.connections)
                await asyncio.sleep(1)  # let the server finish what the last frames started
                after = rss_kib(process.pid)
                for _, writer in warm + connections:
                    writer.close()
                return before, after

            before, after = asyncio.run(measure())
            print(json.dumps({
                "transport": "tls" if options.tls else "h2c",
                "connections": options.connections,
                "rss_before_kib": before,
                "rss_after_kib": after,
                "kib_per_connection": round((after - before) / options.connections, 1),
            }))
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()


if __name__ == "__main__":
    main()
