"""Fixtures for interop tests: a real cashbackd process on 127.0.0.1 with an ephemeral port."""
import json
import os
import pathlib
import re
import signal
import subprocess
import tempfile
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "Protocol/vectors/compact-codec.json").read_text())


def vector(name):
    """The bytes of the valid golden vector `name`."""
    for entry in VECTORS["valid"]:
        if entry["name"] == name:
            return bytes.fromhex(entry["hex"])
    raise KeyError(name)


class Server:
    """A cashbackd child process; `port` is read from its 'listening on' log line."""

    def __init__(self, database, extra_args=()):
        binary = os.environ.get("CASHBACKD", str(ROOT / ".build/debug/cashbackd"))
        self.process = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--database", database, *extra_args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.log = []
        for line in self.process.stderr:
            self.log.append(line)
            match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if match:
                self.port = int(match.group(1))
                break
        else:
            raise RuntimeError("cashbackd did not start:\n" + "".join(self.log))
        self.address = f"127.0.0.1:{self.port}"
        # Keep reading the log: a full pipe would block the server the next time it logs.
        self.drain = threading.Thread(target=self._drain_log, daemon=True)
        self.drain.start()

    def _drain_log(self):
        for line in self.process.stderr:
            self.log.append(line)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Signals the server and returns its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        status = self.process.wait(timeout=timeout)
        self.drain.join(timeout=timeout)
        return status


@pytest.fixture
def database():
    with tempfile.TemporaryDirectory() as directory:
        yield os.path.join(directory, "ledger.sqlite")


@pytest.fixture
def server(database):
    running = Server(database)
    yield running
    running.stop(signal.SIGKILL)
