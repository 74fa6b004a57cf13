"""Fixtures for interop tests: a real cashbackd process on 127.0.0.1 with an ephemeral port,
serving cleartext (--plaintext) unless given TLS flags, and throw-away test certificates."""
import json
import os
import pathlib
import re
import signal
import subprocess
import tempfile
import threading
import itertools

import grpc
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "Protocol/vectors/compact-codec.json").read_text())


def vector(name):
    """The bytes of the valid golden vector `name`."""
    for entry in VECTORS["valid"]:
        if entry["name"] == name:
            return bytes.fromhex(entry["hex"])
    raise KeyError(name)


BINARY = os.environ.get("CASHBACKD", str(ROOT / ".build/debug/cashbackd"))
ALL_SCOPES = "accrual,wallet,payout,admin,read"
_token_names = itertools.count(1)


def create_token(database, scopes=ALL_SCOPES, name=None, merchant=None):
    """`cashbackd token create`: the plain token it prints once."""
    name = name or f"interop-{next(_token_names)}"
    args = [BINARY, "token", "create", "--database", database, "--name", name, "--scopes", scopes]
    if merchant:
        args += ["--merchant", merchant]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, check=True)
    return result.stdout.strip()


class _Bearer(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Sends `authorization: Bearer <token>` with every call, unary or server-streaming."""

    def __init__(self, token):
        self.metadata = (("authorization", f"Bearer {token}"),)

    def _authorized(self, details):
        return details._replace(metadata=tuple(details.metadata or ()) + self.metadata)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._authorized(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._authorized(details), request)


def authorized(channel, token):
    """`channel` sending `token` with every call."""
    return grpc.intercept_channel(channel, _Bearer(token))


def make_certificates(directory):
    """Writes the test certificates (Tests/make-test-certificates.sh names them) into
    `directory` and returns it as a path."""
    subprocess.run(["sh", str(ROOT / "Tests/make-test-certificates.sh"), str(directory)],
                   check=True, capture_output=True)
    return pathlib.Path(directory)


class Server:
    """A cashbackd child process; `port` is read from its 'listening on' log line.

    `transport` is `("--plaintext",)` unless given, e.g. `("--tls-cert", c, "--tls-key", k)`.
    `token` holds every scope, created with `cashbackd token create` before the start.
    """

    def __init__(self, database, extra_args=(), transport=("--plaintext",)):
        binary = BINARY
        self.token = create_token(database)
        self.authorization = ("authorization", f"Bearer {self.token}")
        self.lines = threading.Condition()
        self.process = subprocess.Popen(
            [binary, *transport, "--listen", "127.0.0.1:0", "--database", database,
             *extra_args],
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

    def channel(self):
        """A grpcio channel to the server that sends the server's token."""
        return authorized(grpc.insecure_channel(self.address), self.token)

    def _drain_log(self):
        for line in self.process.stderr:
            with self.lines:
                self.log.append(line)
                self.lines.notify_all()

    def wait_for_log(self, pattern, timeout=30, after=0):
        """The first log line from index `after` on that matches `pattern`; fails after
        `timeout` seconds without one."""
        with self.lines:
            found = self.lines.wait_for(
                lambda: next((line for line in self.log[after:] if re.search(pattern, line)),
                             None),
                timeout=timeout)
        assert found, f"no log line matching {pattern!r} in:\n" + "".join(self.log)
        return found

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


@pytest.fixture(scope="session")
def certificates(tmp_path_factory):
    """A directory of test certificates, made once per run."""
    return make_certificates(tmp_path_factory.mktemp("certificates"))


# The probe built beside cashbackd unless named: `make interop-test` builds both.
PROBE = os.environ.get("CASHBACK_PROBE", str(pathlib.Path(BINARY).parent / "cashback-probe"))


def probe(server, *args, timeout=120):
    """Runs cashback-probe against `server` in cleartext with its token (from the environment,
    as a script would pass it)."""
    if not os.access(PROBE, os.X_OK):
        pytest.fail(f"no cashback-probe at {PROBE}: build it (swift build --product "
                    "cashback-probe) or name it with CASHBACK_PROBE")
    return subprocess.run([PROBE, "--plaintext", server.address, *args], capture_output=True,
                          text=True, timeout=timeout,
                          env={**os.environ, "CASHBACK_TOKEN": server.token})
