"""TLS against a real cashbackd: stock clients (grpcio, curl, Python ssl, openssl s_client),
ALPN h2 required, mutual TLS, certificate reload on SIGHUP, cleartext kept to loopback."""
import os
import shutil
import signal
import socket
import ssl
import subprocess

import grpc
import pytest

from conftest import Server
from test_frames import Client, frame
from test_process import cashbackd

HEALTH = "/grpc.health.v1.Health/Check"
SERVING = b"\x08\x01"


def tls_flags(directory, cert="server", client_ca=None):
    flags = ["--tls-cert", str(directory / f"{cert}.pem"), "--tls-key", str(directory / f"{cert}.key")]
    if client_ca:
        flags += ["--tls-client-ca", str(client_ca)]
    return tuple(flags)


def secure_channel(server, certificates, client=None):
    key = certificate = None
    if client:
        key = (certificates / f"{client}.key").read_bytes()
        certificate = (certificates / f"{client}.pem").read_bytes()
    credentials = grpc.ssl_channel_credentials(
        root_certificates=(certificates / "ca.pem").read_bytes(),
        private_key=key, certificate_chain=certificate)
    return grpc.secure_channel(server.address, credentials)


def health(channel):
    call = channel.unary_unary(HEALTH, request_serializer=None, response_deserializer=None)
    return call(b"", timeout=20)


def tls_socket(server, certificates, alpn=("h2",)):
    """A TLS connection to the server checked against the test CA, with ALPN `alpn`."""
    context = ssl.create_default_context(cafile=str(certificates / "ca.pem"))
    if alpn:
        context.set_alpn_protocols(list(alpn))
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    return context.wrap_socket(raw, server_hostname="localhost")


@pytest.fixture
def tls_server(database, certificates):
    running = Server(database, transport=tls_flags(certificates))
    yield running
    running.stop(signal.SIGKILL)


def test_grpcio_over_tls(tls_server, certificates):
    with secure_channel(tls_server, certificates) as channel:
        assert health(channel) == SERVING


def test_curl_over_tls_with_alpn_h2(tls_server, certificates):
    result = subprocess.run(
        ["curl", "-s", "--http2", "--cacert", str(certificates / "ca.pem"),
         "-H", "content-type: application/grpc", "-H", "te: trailers",
         "--data-binary", "@-", "-o", "-", "-w", "%{http_version}",
         f"https://localhost:{tls_server.port}{HEALTH}"],
        input=frame(b""), capture_output=True, timeout=60, check=True)
    assert result.stdout == frame(SERVING) + b"2"


def test_a_client_offering_only_http11_is_refused_and_logged(tls_server, certificates):
    result = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{tls_server.port}",
         "-CAfile", str(certificates / "ca.pem"), "-alpn", "http/1.1"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert "no application protocol" in result.stdout + result.stderr
    tls_server.wait_for_log(r"refusing a TLS connection from .*127\.0\.0\.1.*: "
                            r"it offered ALPN http/1\.1, not h2")


def test_a_client_without_alpn_is_refused_and_logged(tls_server, certificates):
    with pytest.raises(ssl.SSLError, match="(?i)no.application.protocol"):
        tls_socket(tls_server, certificates, alpn=())
    tls_server.wait_for_log(r"refusing a TLS connection from .*: it offered no ALPN protocol")


def test_mutual_tls_admits_only_clients_the_ca_signed(database, certificates):
    server = Server(database, transport=tls_flags(certificates, client_ca=certificates / "ca.pem"))
    try:
        with secure_channel(server, certificates, client="client") as channel:
            assert health(channel) == SERVING
        for client in ["other-client", None]:
            with secure_channel(server, certificates, client=client) as channel:
                with pytest.raises(grpc.RpcError) as refused:
                    health(channel)
                assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        server.wait_for_log(r"refusing a TLS connection .*certificate was not accepted")
        server.wait_for_log(r"refusing a TLS connection .*: the client sent no certificate")
    finally:
        server.stop(signal.SIGKILL)


def test_a_tls12_client_that_resumes_its_session_reconnects_under_mutual_tls(database, certificates):
    """A TLS 1.2 client offering the session of its last connection (nginx, Java and Go do)
    gets a full handshake, certificate check included: it was refused with "internal error"
    when the server issued TLS 1.2 tickets without a session id context."""
    server = Server(database, transport=tls_flags(certificates, client_ca=certificates / "ca.pem"))
    try:
        context = ssl.create_default_context(cafile=str(certificates / "ca.pem"))
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(certificates / "client.pem", certificates / "client.key")
        context.set_alpn_protocols(["h2"])
        session = None
        for _ in range(3):
            raw = socket.create_connection(("127.0.0.1", server.port), timeout=20)
            with context.wrap_socket(raw, server_hostname="localhost", session=session) as tls:
                assert tls.version() == "TLSv1.2" and tls.selected_alpn_protocol() == "h2"
                assert not tls.session_reused
                assert health_over(Client(server, sock=tls)) == ("0", frame(SERVING))
                session = tls.session
    finally:
        server.stop(signal.SIGKILL)


# The test certificates are P-256: the ECDSA suites are the ones OpenSSL's default list would
# negotiate with them (CBC ones included); static RSA key exchange cannot be tried.
@pytest.mark.parametrize("cipher", ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA",
                                    "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384"])
def test_tls12_suites_without_aead_are_refused(tls_server, certificates, cipher):
    result = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{tls_server.port}", "-tls1_2",
         "-cipher", cipher, "-CAfile", str(certificates / "ca.pem"), "-alpn", "h2"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "handshake failure" in result.stdout + result.stderr


def test_tls12_with_ecdhe_and_aes_gcm_is_served(tls_server, certificates):
    result = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{tls_server.port}", "-tls1_2",
         "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256",
         "-CAfile", str(certificates / "ca.pem"), "-alpn", "h2"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert "ALPN protocol: h2" in result.stdout, result.stdout + result.stderr


def serial_and_subject(connection):
    certificate = connection.getpeercert()
    subject = dict(pair for rdn in certificate["subject"] for pair in rdn)
    return int(certificate["serialNumber"], 16), subject


def health_over(client):
    stream = client.headers(HEALTH)
    client.data(stream, frame(b""), end_stream=True)
    headers, body, _ = client.response(stream)
    return headers.get("grpc-status"), body


def test_sighup_reloads_the_certificate_and_keeps_open_connections(database, certificates, tmp_path):
    for name in ["server.pem", "server.key"]:
        shutil.copy(certificates / name, tmp_path / name)
    server = Server(database, transport=tls_flags(tmp_path))
    try:
        before = tls_socket(server, certificates)
        assert serial_and_subject(before)[0] == 0x1001
        open_client = Client(server, sock=before)
        assert health_over(open_client) == ("0", frame(SERVING))

        # Replace the files (as a renewal would), then ask for a reload.
        for suffix in ["pem", "key"]:
            shutil.copy(certificates / f"server-next.{suffix}", tmp_path / f"server.{suffix}")
        mark = len(server.log)
        server.process.send_signal(signal.SIGHUP)
        server.wait_for_log(r"reloaded the TLS certificate", after=mark)

        # The connection opened before the reload still works...
        assert health_over(open_client) == ("0", frame(SERVING))
        # ...and the next one gets the new certificate.
        after = tls_socket(server, certificates)
        serial, subject = serial_and_subject(after)
        assert serial == 0x1002
        assert subject["organizationName"] == "Cashback Next"
        after.close()
        open_client.close()

        # A reload that fails keeps the certificate in use.
        (tmp_path / "server.pem").write_text("not a certificate\n")
        mark = len(server.log)
        server.process.send_signal(signal.SIGHUP)
        server.wait_for_log(r"TLS reload failed; still serving the previous certificate: "
                            r"cannot load the certificate chain", after=mark)
        kept = tls_socket(server, certificates)
        assert serial_and_subject(kept)[0] == 0x1002
        kept.close()
        assert server.stop() == 0
    finally:
        server.stop(signal.SIGKILL)


def test_sighup_without_tls_is_logged_and_the_server_goes_on(server):
    mark = len(server.log)
    server.process.send_signal(signal.SIGHUP)
    server.wait_for_log(r"SIGHUP: nothing to reload \(the server runs without TLS\)", after=mark)
    assert server.process.poll() is None
    client = Client(server)
    assert health_over(client) == ("0", frame(SERVING))
    client.close()
    assert server.stop() == 0


def test_cleartext_is_refused_off_loopback_without_allow_insecure_remote(database):
    result = cashbackd("--plaintext", "--listen", "0.0.0.0:0", "--database", database)
    assert result.returncode != 0
    assert "--allow-insecure-remote" in result.stderr
    assert "0.0.0.0" in result.stderr
    assert not os.path.exists(database)


def test_a_start_without_a_transport_names_both_choices(database):
    result = cashbackd("--listen", "127.0.0.1:0", "--database", database)
    assert result.returncode != 0
    assert "--tls-cert PEM --tls-key PEM" in result.stderr
    assert "--plaintext" in result.stderr


def test_a_bad_certificate_file_is_a_start_error_naming_it(database, tmp_path, certificates):
    missing = tmp_path / "missing.pem"
    result = cashbackd("--tls-cert", str(missing), "--tls-key", str(certificates / "server.key"),
                       "--listen", "127.0.0.1:0", "--database", database)
    assert result.returncode != 0
    assert f"cannot load the certificate chain {missing}" in result.stderr
    mismatched = cashbackd("--tls-cert", str(certificates / "server.pem"),
                           "--tls-key", str(certificates / "client.key"),
                           "--listen", "127.0.0.1:0", "--database", database)
    assert mismatched.returncode != 0
    assert "does not match the certificate" in mismatched.stderr
