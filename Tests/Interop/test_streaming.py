"""Server-streaming calls from a stock gRPC client (grpcio's unary_stream, raw bytes):
grpc.health.v1.Health/Watch as gRPC's health protocol defines it, and Admin/ExportJournal."""
import signal

import grpc
import pytest

from conftest import vector

WATCH = "/grpc.health.v1.Health/Watch"
EXPORT = "/cashback.v1.Admin/ExportJournal"
SERVING, NOT_SERVING, SERVICE_UNKNOWN = b"\x08\x01", b"\x08\x02", b"\x08\x03"


def raw_stream(channel, path):
    return channel.unary_stream(path, request_serializer=None, response_deserializer=None)


def raw_call(channel, path):
    return channel.unary_unary(path, request_serializer=None, response_deserializer=None)


def test_watch_sends_serving_then_not_serving_when_the_server_drains(server):
    """No token: health is open. The first message comes at once; SIGTERM brings NOT_SERVING
    before the stream ends (with UNAVAILABLE, as a server going away ends a stream)."""
    with grpc.insecure_channel(server.address) as channel:
        messages = raw_stream(channel, WATCH)(b"", timeout=60)
        assert next(messages) == SERVING
        server.process.send_signal(signal.SIGTERM)
        assert next(messages) == NOT_SERVING
        with pytest.raises(grpc.RpcError) as ended:
            next(messages)
        assert ended.value.code() == grpc.StatusCode.UNAVAILABLE
    assert server.stop() == 0


def test_watch_of_an_unknown_service_sends_service_unknown_and_stays_open(server):
    with grpc.insecure_channel(server.address) as channel:
        named = b"\x0a\x12cashback.v1.Wallet"
        known = raw_stream(channel, WATCH)(named, timeout=60)
        assert next(known) == SERVING
        unknown = raw_stream(channel, WATCH)(b"\x0a\x03foo", timeout=60)
        assert next(unknown) == SERVICE_UNKNOWN
        unknown.cancel()
        known.cancel()
        # The connection still serves calls after both streams were cancelled.
        assert raw_call(channel, "/grpc.health.v1.Health/Check")(b"") == SERVING


def test_export_journal_streams_entries_in_id_order(server):
    with server.channel() as channel:
        raw_call(channel, "/cashback.v1.Admin/UpsertMerchant")(vector("upsert-merchant"))
        raw_call(channel, "/cashback.v1.Accruals/Accrue")(vector("accrue"))
        call = raw_stream(channel, EXPORT)(b"", timeout=60)
        entries = list(call)
        assert call.code() == grpc.StatusCode.OK
        assert len(entries) == 1
        # entry_id 1 (zig-zag 2), then kind "accrue".
        assert entries[0].startswith(b"\x08\x02\x12\x06accrue")
        # Resuming after the last entry: nothing more, status OK.
        after = raw_stream(channel, EXPORT)(vector("export-journal"), timeout=60)
        assert list(after) == []
        assert after.code() == grpc.StatusCode.OK


@pytest.mark.parametrize(
    "payload, field",
    ids=["negative-cursor", "limit-over-the-max"],
    argvalues=[(b"\x08\x01", "afterEntryId"), (b"\x10\xc2\x9a\x0c", "limit")],
)
def test_export_journal_refuses_bad_input_naming_the_field(server, payload, field):
    with server.channel() as channel:
        with pytest.raises(grpc.RpcError) as error:
            list(raw_stream(channel, EXPORT)(payload, timeout=60))
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in error.value.details()


def test_export_journal_needs_a_token(server):
    with grpc.insecure_channel(server.address) as channel:
        with pytest.raises(grpc.RpcError) as error:
            list(raw_stream(channel, EXPORT)(b"", timeout=60))
        assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
