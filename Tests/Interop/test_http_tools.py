"""curl and nghttp (real HTTP/2 peers) against cashbackd: malformed bodies, wrong content."""
import re
import shutil
import subprocess

from conftest import vector

GRPC = ["-H", "content-type: application/grpc", "-H", "te: trailers"]


def frame(payload):
    return b"\x00" + len(payload).to_bytes(4, "big") + payload


def curl(server, path, body, headers):
    result = subprocess.run(
        ["curl", "-s", "--http2-prior-knowledge", "--max-time", "20", "-D", "-", "-o", "/dev/null",
         "-H", ": ".join(server.authorization), *headers, "--data-binary", "@-",
         f"http://{server.address}{path}"],
        input=body, capture_output=True, check=True,
    )
    return result.stdout.decode()


def test_curl_malformed_body_gets_a_grpc_error(server):
    dump = curl(server, "/cashback.v1.Wallet/GetBalance", frame(b"\x0a\x09m1"), GRPC)
    assert re.search(r"^HTTP/2 200", dump, re.M)
    assert re.search(r"^grpc-status: 3\r?$", dump, re.M)
    assert "grpc-message: malformed cashback.v1.GetBalanceRequest" in dump


def test_curl_truncated_frame_gets_a_grpc_error(server):
    dump = curl(server, "/cashback.v1.Wallet/GetBalance", b"\x00\x00\x00\x00\x09\x0a", GRPC)
    assert re.search(r"^grpc-status: 3\r?$", dump, re.M)


def test_curl_good_body_gets_status_zero(server):
    dump = curl(server, "/cashback.v1.Wallet/GetBalance", frame(vector("get-balance")), GRPC)
    assert re.search(r"^grpc-status: 0\r?$", dump, re.M)


def test_curl_wrong_content_type_gets_415(server):
    dump = curl(
        server, "/cashback.v1.Wallet/GetBalance", frame(vector("get-balance")),
        ["-H", "content-type: application/json"])
    assert re.search(r"^HTTP/2 415", dump, re.M)


def test_nghttp_malformed_body_gets_a_grpc_error(server, tmp_path):
    assert shutil.which("nghttp"), "make test installs nghttp2-client"
    body = tmp_path / "body.bin"
    body.write_bytes(frame(b"\x08"))
    result = subprocess.run(
        ["nghttp", "-v", "-t", "20", "-d", str(body), "-H", "content-type: application/grpc",
         "-H", ": ".join(server.authorization),
         "-H", "te: trailers", f"http://{server.address}/cashback.v1.Wallet/GetBalance"],
        capture_output=True, text=True, check=True,
    )
    assert "grpc-status: 3" in result.stdout
