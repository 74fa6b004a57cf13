"""A stock gRPC client (grpcio) against cashbackd, with the golden vectors' raw bytes."""
import grpc
import pytest

from conftest import vector


def raw_call(channel, path):
    return channel.unary_unary(path, request_serializer=None, response_deserializer=None)


@pytest.fixture
def channel(server):
    with server.channel() as channel:
        yield channel


def test_golden_conversation(channel):
    """UpsertMerchant, Accrue, GetBalance with golden bytes; each answer is golden too."""
    upsert, status = raw_call(channel, "/cashback.v1.Admin/UpsertMerchant").with_call(
        vector("upsert-merchant"))
    assert status.code() == grpc.StatusCode.OK
    assert upsert == vector("upsert-merchant-response")

    accrued = raw_call(channel, "/cashback.v1.Accruals/Accrue")(vector("accrue"))
    assert accrued == vector("accrue-response")

    balance, status = raw_call(channel, "/cashback.v1.Wallet/GetBalance").with_call(
        vector("get-balance"))
    assert status.code() == grpc.StatusCode.OK
    assert balance == vector("balance")


def test_a_replayed_accrual_answers_the_first_result(channel):
    raw_call(channel, "/cashback.v1.Admin/UpsertMerchant")(vector("upsert-merchant"))
    first = raw_call(channel, "/cashback.v1.Accruals/Accrue")(vector("accrue"))
    second = raw_call(channel, "/cashback.v1.Accruals/Accrue")(vector("accrue"))
    assert first == second == vector("accrue-response")
    balance = raw_call(channel, "/cashback.v1.Wallet/GetBalance")(vector("get-balance"))
    assert balance == vector("balance")


def test_health_check_is_standard_protobuf(channel):
    assert raw_call(channel, "/grpc.health.v1.Health/Check")(b"") == b"\x08\x01"
    service = b"cashback.v1.Wallet"
    request = b"\x0a" + bytes([len(service)]) + service
    assert raw_call(channel, "/grpc.health.v1.Health/Check")(request) == b"\x08\x01"
    with pytest.raises(grpc.RpcError) as error:
        raw_call(channel, "/grpc.health.v1.Health/Check")(b"\x0a\x03foo")
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    "path, payload, code",
    ids=["unknown-method", "truncated-varint", "length-past-end", "no-message-fields",
         "unknown-merchant", "over-size-limit"],
    argvalues=[
        ("/cashback.v1.Wallet/Steal", vector("get-balance"), grpc.StatusCode.UNIMPLEMENTED),
        ("/cashback.v1.Wallet/GetBalance", b"\xff\xff", grpc.StatusCode.INVALID_ARGUMENT),
        ("/cashback.v1.Wallet/GetBalance", b"\x0a\x09m1", grpc.StatusCode.INVALID_ARGUMENT),
        ("/cashback.v1.Wallet/GetBalance", b"", grpc.StatusCode.INVALID_ARGUMENT),
        ("/cashback.v1.Accruals/Accrue", vector("accrue"), grpc.StatusCode.NOT_FOUND),
        (
            "/cashback.v1.Wallet/GetBalance",
            b"\x0a\x02m1\x12" + bytes([200, 0x7f]) + b"x" * (2 << 20),
            grpc.StatusCode.RESOURCE_EXHAUSTED,
        ),
    ],
)
def test_errors_have_their_status(channel, path, payload, code):
    with pytest.raises(grpc.RpcError) as error:
        raw_call(channel, path)(payload)
    assert error.value.code() == code
    assert error.value.details()


def test_calls_with_a_deadline_succeed_within_it(channel):
    balance = raw_call(channel, "/cashback.v1.Wallet/GetBalance")(vector("get-balance"), timeout=10)
    assert balance == b""


def test_an_expired_deadline_is_deadline_exceeded(channel):
    with pytest.raises(grpc.RpcError) as error:
        raw_call(channel, "/cashback.v1.Wallet/GetBalance")(vector("get-balance"), timeout=0.000001)
    assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
