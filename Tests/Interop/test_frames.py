"""Frame-level tests with the `h2` library: abuse and edge cases a stock client never sends."""
import socket

import h2.config
import h2.connection
import h2.events
import pytest

from conftest import Server, vector

GET_BALANCE = "/cashback.v1.Wallet/GetBalance"
ENHANCE_YOUR_CALM = 0xB
CANCEL = 0x8


def frame(payload):
    return b"\x00" + len(payload).to_bytes(4, "big") + payload


class Client:
    """A raw HTTP/2 client over a blocking socket; every wait is bounded by a timeout."""

    def __init__(self, server, timeout=20, sock=None, validate_outbound_headers=True):
        """Speaks over `sock` when given (a TLS socket), else a new TCP connection."""
        self.authorization = server.authorization
        self.sock = sock or socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(
            client_side=True, header_encoding="utf-8",
            validate_outbound_headers=validate_outbound_headers))
        self.conn.initiate_connection()
        self.flush()

    def flush(self):
        self.sock.sendall(self.conn.data_to_send())

    def headers(self, path, end_stream=False, extra=()):
        stream_id = self.conn.get_next_available_stream_id()
        self.conn.send_headers(stream_id, [
            (":method", "POST"), (":scheme", "http"), (":path", path),
            (":authority", "localhost"), ("content-type", "application/grpc"),
            ("te", "trailers"), self.authorization, *extra,
        ], end_stream=end_stream)
        self.flush()
        return stream_id

    def data(self, stream_id, payload, end_stream=False):
        self.conn.send_data(stream_id, payload, end_stream=end_stream)
        self.flush()

    def events_until(self, stream_id, predicate):
        """Reads until an event for `stream_id` satisfies `predicate`; returns all its events."""
        seen = []
        while True:
            data = self.sock.recv(65536)
            if not data:
                raise AssertionError(f"connection closed; saw {seen}")
            for event in self.conn.receive_data(data):
                if getattr(event, "stream_id", None) == stream_id:
                    seen.append(event)
                    if predicate(event):
                        self.flush()
                        return seen
            self.flush()

    def response(self, stream_id):
        """Headers, body and trailers of a stream that ends normally."""
        events = self.events_until(stream_id, lambda e: isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset)))
        headers, body = {}, b""
        for event in events:
            if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
                headers.update(dict(event.headers))
            elif isinstance(event, h2.events.DataReceived):
                body += event.data
                self.conn.acknowledge_received_data(event.flow_controlled_length, stream_id)
        return headers, body, events

    def goaway_error_code(self):
        """Reads until the server's GOAWAY and returns its error code (None if it just closed)."""
        while True:
            data = self.sock.recv(65536)
            if not data:
                return None
            for event in self.conn.receive_data(data):
                if isinstance(event, h2.events.ConnectionTerminated):
                    return event.error_code

    def close(self):
        self.sock.close()


@pytest.fixture
def client(server):
    running = Client(server)
    yield running
    running.close()


def test_a_request_in_one_byte_data_frames(client):
    stream_id = client.headers(GET_BALANCE)
    body = frame(vector("get-balance"))
    for index, byte in enumerate(body):
        client.data(stream_id, bytes([byte]), end_stream=index == len(body) - 1)
    headers, payload, _ = client.response(stream_id)
    assert headers["grpc-status"] == "0"
    assert payload == frame(b"")


def test_an_early_answer_then_reset_while_the_client_still_sends(client):
    stream_id = client.headers("/cashback.v1.Wallet/Nope")
    client.data(stream_id, b"\x00\x00\x00")
    events = client.events_until(stream_id, lambda e: isinstance(e, h2.events.StreamReset))
    answered = [e for e in events if isinstance(e, h2.events.ResponseReceived)]
    assert answered and dict(answered[0].headers)["grpc-status"] == "12"
    assert events[-1].error_code == 0  # NO_ERROR: stop sending, the answer is final


def test_an_oversized_header_list_is_reset_with_enhance_your_calm(client):
    stream_id = client.headers(GET_BALANCE, extra=[("x-pad", "x" * 8000), ("x-pad2", "y" * 9000)])
    events = client.events_until(stream_id, lambda e: isinstance(e, h2.events.StreamReset))
    assert events[-1].error_code == ENHANCE_YOUR_CALM
    # The connection still serves.
    ok = client.headers(GET_BALANCE)
    client.data(ok, frame(vector("get-balance")), end_stream=True)
    assert client.response(ok)[0]["grpc-status"] == "0"


def test_a_stalled_request_is_reset(database):
    server = Server(database, ["--stream-stall-timeout-seconds", "1"])
    client = Client(server)
    try:
        stream_id = client.headers(GET_BALANCE)  # and then nothing: slowloris
        events = client.events_until(stream_id, lambda e: isinstance(e, h2.events.StreamReset))
        assert events[-1].error_code == CANCEL
    finally:
        client.close()
        server.stop()


def test_the_connection_request_byte_budget(database):
    server = Server(database, ["--max-message-bytes", "1024", "--connection-request-bytes-max", "2048"])
    client = Client(server)
    try:
        partial = (1000).to_bytes(5, "big") + b"x" * 900  # declares 1000 bytes, sends 905
        streams = [client.headers(GET_BALANCE) for _ in range(3)]
        for stream_id in streams:
            client.data(stream_id, partial)
        headers, _, _ = client.response(streams[2])
        assert headers["grpc-status"] == "8"  # RESOURCE_EXHAUSTED
        assert "request bytes" in headers["grpc-message"]
    finally:
        client.close()
        server.stop()


def test_connections_over_the_per_peer_limit_are_closed(database):
    """One address may not hold every slot (health Watch needs no token)."""
    server = Server(database, ["--max-connections", "10", "--max-connections-per-peer", "1"])
    first = Client(server)
    try:
        assert call(first) == "0"
        second = socket.create_connection(("127.0.0.1", server.port), timeout=20)
        assert second.recv(1024) == b""  # closed at once
        second.close()
        server.wait_for_log(r"refusing a connection: its peer address is at the limit")
    finally:
        first.close()
        server.stop()


def test_connections_over_the_limit_are_closed(database):
    server = Server(database, ["--max-connections", "1"])
    first = Client(server)
    try:
        stream_id = first.headers(GET_BALANCE)
        first.data(stream_id, frame(vector("get-balance")), end_stream=True)
        assert first.response(stream_id)[0]["grpc-status"] == "0"
        second = socket.create_connection(("127.0.0.1", server.port), timeout=20)
        assert second.recv(1024) == b""  # closed at once
        second.close()
    finally:
        first.close()
        server.stop()


def test_a_ping_flood_gets_goaway_enhance_your_calm(server):
    client = Client(server)
    try:
        for index in range(400):
            client.conn.ping(index.to_bytes(8, "big"))
        client.flush()
        assert client.goaway_error_code() == ENHANCE_YOUR_CALM
    finally:
        client.close()


def test_an_empty_data_flood_gets_goaway_enhance_your_calm(server):
    client = Client(server)
    try:
        stream_id = client.headers(GET_BALANCE)
        for _ in range(400):
            client.conn.send_data(stream_id, b"")
        client.flush()
        assert client.goaway_error_code() == ENHANCE_YOUR_CALM
    finally:
        client.close()


def goaways(client):
    """Reads until the server closes; returns its GOAWAYs as (error code, last stream id, data)."""
    seen = []
    while True:
        try:
            data = client.sock.recv(65536)
        except ConnectionResetError:
            return seen
        if not data:
            return seen
        for event in client.conn.receive_data(data):
            if isinstance(event, h2.events.ConnectionTerminated):
                seen.append((event.error_code, event.last_stream_id, event.additional_data))
        try:
            client.flush()  # PING acks: the server may have closed its side already
        except (BrokenPipeError, ConnectionResetError):
            return seen


def call(client):
    """One GetBalance on `client`; returns its grpc-status."""
    stream_id = client.headers(GET_BALANCE)
    client.data(stream_id, frame(vector("get-balance")), end_stream=True)
    headers, _, _ = client.response(stream_id)
    return headers.get("grpc-status")


def test_cancelled_calls_do_not_spend_the_glitch_budget(server):
    """300 calls sent in full and then cancelled (RST_STREAM CANCEL), more than the budget's
    burst of 200 plus what it refills while they run: the connection stays up."""
    client = Client(server)
    try:
        for batch in range(30):
            for _ in range(10):
                stream_id = client.headers(GET_BALANCE)
                client.conn.send_data(stream_id, frame(vector("get-balance")), end_stream=True)
                client.conn.reset_stream(stream_id, error_code=CANCEL)
            client.flush()
            assert call(client) == "0", f"after batch {batch}"
    finally:
        client.close()


def test_resets_of_unfinished_requests_spend_the_glitch_budget(server):
    """Rapid Reset: requests reset before they are complete are glitches."""
    client = Client(server)
    try:
        for _ in range(300):
            stream_id = client.headers(GET_BALANCE)
            client.conn.reset_stream(stream_id, error_code=CANCEL)
        client.flush()
        assert client.goaway_error_code() == ENHANCE_YOUR_CALM
    finally:
        client.close()


def test_pings_too_often_get_goaway_too_many_pings(server):
    """gRPC's ping policy: the third ping in a row with nothing sent in between is too many."""
    client = Client(server)
    try:
        for index in range(4):
            client.conn.ping(index.to_bytes(8, "big"))
        client.flush()
        assert (ENHANCE_YOUR_CALM, 0, b"too_many_pings") in goaways(client)
    finally:
        client.close()


def test_pings_between_calls_are_not_strikes(server):
    client = Client(server)
    try:
        for index in range(10):
            client.conn.ping(index.to_bytes(8, "big"))
            client.flush()
            assert call(client) == "0"
    finally:
        client.close()


def test_a_silent_peer_is_pinged_and_closed_when_it_does_not_answer(database):
    """Keepalive: a peer that sends nothing gets a PING after the interval, and the connection
    closes when the PING goes unanswered."""
    server = Server(database, ["--keepalive-seconds", "1", "--keepalive-timeout-seconds", "1"])
    try:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=20)
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        received = b""
        while True:  # read, never answer: the server's PING and then its close
            data = sock.recv(65536)
            if not data:
                break
            received += data
        # A PING frame header: length 8, type 6, flags 0, stream 0.
        assert b"\x00\x00\x08\x06\x00\x00\x00\x00\x00keepaliv" in received
        sock.close()
    finally:
        server.stop()


def test_a_peer_that_answers_keepalive_pings_stays(database):
    server = Server(database, ["--keepalive-seconds", "1", "--keepalive-timeout-seconds", "5"])
    client = Client(server)
    try:
        pings = 0
        while pings < 3:  # h2 answers each PING as it reads it
            data = client.sock.recv(65536)
            assert data, "the server closed a connection that answered its pings"
            pings += sum(isinstance(e, h2.events.PingReceived) for e in client.conn.receive_data(data))
            client.flush()
        assert call(client) == "0"
    finally:
        client.close()
        server.stop()


def test_a_request_without_te_is_served(client):
    """WIRE.md §2.1: `te` is not required; when present it must be `trailers`."""
    stream_id = client.conn.get_next_available_stream_id()
    client.conn.send_headers(stream_id, [
        (":method", "POST"), (":scheme", "http"), (":path", GET_BALANCE),
        (":authority", "localhost"), ("content-type", "application/grpc"), client.authorization,
    ])
    client.data(stream_id, frame(vector("get-balance")), end_stream=True)
    headers, _, _ = client.response(stream_id)
    assert headers["grpc-status"] == "0"


def test_a_request_with_another_te_is_reset(server):
    client = Client(server, validate_outbound_headers=False)
    try:
        stream_id = client.conn.get_next_available_stream_id()
        client.conn.send_headers(stream_id, [
            (":method", "POST"), (":scheme", "http"), (":path", GET_BALANCE),
            (":authority", "localhost"), ("content-type", "application/grpc"), ("te", "gzip"),
            client.authorization,
        ], end_stream=True)
        client.flush()
        events = client.events_until(stream_id, lambda e: isinstance(e, h2.events.StreamReset))
        assert events[-1].error_code == 1  # PROTOCOL_ERROR, from nghttp2's HTTP checks
        assert call(client) == "0"  # the connection lives on
    finally:
        client.close()


def test_shutdown_is_a_goaway_notice_then_the_final_goaway(database):
    """Two-phase GOAWAY: first the largest stream id (open no more streams, those on their way
    are still served), then, once our PING is answered, the last stream actually processed."""
    import signal
    server = Server(database)
    client = Client(server)
    try:
        assert call(client) == "0"  # stream 1
        server.process.send_signal(signal.SIGTERM)
        seen = goaways(client)
        assert [(code, last) for code, last, _ in seen] == [(0, 2**31 - 1), (0, 1)]
        assert server.stop() == 0
    finally:
        client.close()


def answer_before_the_body_ends(client, stream_id):
    """Sends part of a request body (not its end) on `stream_id`, then reads the answer: its
    headers and trailers, merged."""
    client.data(stream_id, frame(b"\x00" * 16_000))
    events = client.events_until(
        stream_id, lambda e: isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset)))
    headers = {}
    for event in events:
        if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
            headers.update(dict(event.headers))
    return headers


@pytest.mark.parametrize("authorization, status", [
    (None, "16"),
    ("Bearer cbk_0123456789abcdef_" + "A" * 43, "16"),  # well formed, unknown
    ("Basic dXNlcjpwYXNz", "16"),
])
def test_a_call_without_a_valid_token_is_refused_before_its_body_is_read(
        server, authorization, status):
    """The token is checked when the headers arrive: the answer comes while the client is
    still sending the body, and the stream is then reset (NO_ERROR), so a caller without a
    valid token cannot make the server hold request bytes."""
    client = Client(server)
    try:
        client.authorization = ("x-no-token", "1") if authorization is None \
            else ("authorization", authorization)
        stream_id = client.headers("/cashback.v1.Admin/AdjustBalance")
        assert answer_before_the_body_ends(client, stream_id)["grpc-status"] == status
    finally:
        client.close()


def test_a_token_without_the_scope_is_refused_before_the_body_is_read(database, server):
    from conftest import create_token
    reader = create_token(database, name="reader", scopes="read")
    client = Client(server)
    try:
        client.authorization = ("authorization", f"Bearer {reader}")
        stream_id = client.headers("/cashback.v1.Admin/AdjustBalance")
        headers = answer_before_the_body_ends(client, stream_id)
        assert headers["grpc-status"] == "7"
        assert "needs the scope admin" in headers["grpc-message"]
    finally:
        client.close()
