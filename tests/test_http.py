"""The load generator's own HTTP client against a raw socket server (no framework in between):
requests arrive byte-exact, responses are read however the server chops them up, and a refused
connection is an error sample, not an exception."""

import hashlib
import socket
import threading

import pytest

from loadtests.http import Connection
from loadtests.multipart import multipart
from loadtests.payload import Payload
from upbench.server import free_port


def serve_once(reply_pieces, received: dict):
    """Accept one connection, read one request (Content-Length framed), answer in pieces."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def run():
        conn, _ = listener.accept()
        with conn, listener:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            while len(body) < length:
                body += conn.recv(65536)
            received.update(head=head, body=body)
            for piece in reply_pieces:
                conn.sendall(piece)
                threading.Event().wait(0.02)  # separate segments: the client reads each apart

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{port}", thread


@pytest.mark.parametrize("size", [10, 300_000])
def test_multipart_upload_arrives_byte_exact(size):
    received = {}
    url, thread = serve_once([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"], received)
    body = Payload(size).unique()
    parts, length = multipart(body, "f.bin")
    ex = Connection(url, timeout=10).request("POST", "/upload", {"X-Test": "1"}, parts, length)
    thread.join(5)
    assert (ex.status, ex.body, ex.error) == (200, b"ok", None)
    assert ex.start <= ex.sent <= ex.ttfb <= ex.end
    assert b"X-Test: 1" in received["head"]
    sent = received["body"]
    assert len(sent) == length
    start = sent.index(b"\r\n\r\n") + 4
    assert hashlib.sha256(sent[start:start + size]).hexdigest() == body.sha256


def test_headers_split_over_segments_and_body_until_close():
    url, thread = serve_once([b"HTTP/1.1 201 Created\r\nLoca",
                              b"tion: http://x/files/ab:c\r\nUpload-Offset:  7 \r\n\r\n",
                              b"body without length"], {})
    ex = Connection(url, timeout=10).request("POST", "/files/", body=[b"x"])
    thread.join(5)
    assert ex.status == 201 and ex.error is None
    assert ex.headers == {"location": "http://x/files/ab:c", "upload-offset": "7"}
    assert ex.body == b"body without length"


def test_refused_connection_is_an_error_sample():
    ex = Connection(f"http://127.0.0.1:{free_port()}", timeout=5).request(
        "POST", "/upload", body=[b"x" * 100_000])
    assert ex.status == 0 and ex.end is None
    assert "ConnectionRefused" in ex.error
