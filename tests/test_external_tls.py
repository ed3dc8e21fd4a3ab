"""HTTPS in upbench's own client, against a TLS server made here with a certificate made at
test time: byte-exact bodies on both socket paths, the connect and handshake phases (on new
connections only), certificate checks (--cacert, --insecure) and a refused handshake."""

from __future__ import annotations

import hashlib
import socket
import ssl
import threading

import pytest

from loadtests.http import Connection, tls_context
from loadtests.multipart import multipart
from loadtests.payload import Payload
from tests.certs import self_signed


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls"))


def tls_server(cert, requests: int, received: list, plain: bool = False):
    """One connection, `requests` keep-alive requests read (Content-Length framed) and
    answered 201; `plain`: speaks plain HTTP, so the client's handshake fails."""
    crt, key, _ = cert
    listener = socket.create_server(("127.0.0.1", 0))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(crt, key)

    def run():
        with listener:
            raw, _ = listener.accept()
            if plain:  # what an http:// server answers to a ClientHello
                with raw:
                    raw.recv(65536)
                    raw.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
                return
            try:
                conn = context.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError):
                raw.close()
                return
            with conn:
                data = b""
                for _ in range(requests):
                    while b"\r\n\r\n" not in data:
                        more = conn.recv(65536)
                        if not more:
                            return
                        data += more
                    head, _, data = data.partition(b"\r\n\r\n")
                    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                      if line.lower().startswith(b"content-length")))
                    while len(data) < length:
                        data += conn.recv(65536)
                    received.append((head, data[:length]))
                    data = data[length:]
                    conn.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return f"https://127.0.0.1:{listener.getsockname()[1]}", thread


@pytest.mark.parametrize("os_thread", [False, True])
def test_https_upload_arrives_byte_exact_with_its_phases(cert, os_thread):
    received = []
    url, thread = tls_server(cert, 2, received)
    conn = Connection(url, timeout=10, os_thread=os_thread, tls=tls_context(cacert=str(cert[0])))
    body = Payload(700_000).unique()
    parts, length = multipart(body, "f.bin")
    first = conn.request("POST", "/upload", {"X-Test": "1"}, parts, length)
    second = conn.request("POST", "/upload", {}, [b"x" * 10])
    thread.join(10)
    assert (first.status, first.body, first.error) == (201, b"ok", None)
    assert second.status == 201 and len(received) == 2  # the same TLS connection, reused
    assert first.connecting is not None and first.tls_handshaking > 0
    assert second.connecting is None and second.tls_handshaking is None
    assert first.start + first.connecting + first.tls_handshaking <= first.sent <= first.ttfb
    head, sent = received[0]
    assert b"X-Test: 1" in head and len(sent) == length
    start = sent.index(b"\r\n\r\n") + 4
    assert hashlib.sha256(sent[start:start + 700_000]).hexdigest() == body.sha256


def test_a_self_signed_certificate_is_refused_unless_trusted_or_insecure(cert):
    url, thread = tls_server(cert, 1, [])
    ex = Connection(url, timeout=5).request("POST", "/upload", body=[b"x"])
    thread.join(5)
    assert ex.status == 0 and "CERTIFICATE_VERIFY_FAILED" in ex.error
    url, thread = tls_server(cert, 1, [])
    ex = Connection(url, timeout=5, tls=tls_context(insecure=True)).request(
        "POST", "/upload", body=[b"x"])
    thread.join(5)
    assert (ex.status, ex.error) == (201, None)


@pytest.mark.parametrize("os_thread", [False, True])
def test_a_refused_handshake_is_an_error_sample(cert, os_thread):
    """A server that does not speak TLS on that port: the handshake fails, the request is an
    error sample (status 0), not an exception."""
    url, thread = tls_server(cert, 1, [], plain=True)
    ex = Connection(url, timeout=5, os_thread=os_thread,
                    tls=tls_context(insecure=True)).request("POST", "/upload", body=[b"x" * 10])
    thread.join(5)
    assert ex.status == 0 and ex.error


def test_an_unknown_host_is_an_error_sample():
    ex = Connection("https://no-such-host.invalid", timeout=5).request("GET", "/")
    assert ex.status == 0 and "gaierror" in ex.error
