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
from upbench.lifecycle.ports import free_port


def serve_once(reply_pieces, received: dict, connections: int = 1):
    """Accept `connections` connections one after the other; on each read one request
    (Content-Length framed), answer in pieces and hang up."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def run():
        with listener:
            for _ in range(connections):
                answer_one(listener.accept()[0])

    def answer_one(conn):
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            while len(body) < length:
                body += conn.recv(65536)
            received.update(head=head, body=body, count=received.get("count", 0) + 1)
            for piece in reply_pieces:
                conn.sendall(piece)
                threading.Event().wait(0.02)  # separate segments: the client reads each apart

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{port}", thread


@pytest.mark.parametrize("os_thread", [False, True])
@pytest.mark.parametrize("size", [10, 300_000])
def test_multipart_upload_arrives_byte_exact(size, os_thread):
    received = {}
    url, thread = serve_once([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"], received)
    body = Payload(size).unique()
    parts, length = multipart(body, "f.bin")
    ex = Connection(url, timeout=10, os_thread=os_thread).request(
        "POST", "/upload", {"X-Test": "1"}, parts, length)
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


@pytest.mark.parametrize("os_thread", [False, True])
@pytest.mark.parametrize("method", ["PATCH", "HEAD"])
def test_bodiless_answer_with_connection_close_is_not_reused(method, os_thread):
    """A 204 (or a HEAD answer) saying "Connection: close", as gunicorn's sync workers send:
    the next request must go out on a new connection, not on the one the server closed."""
    received = {}
    url, thread = serve_once([b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"],
                             received, connections=2)
    conn = Connection(url, timeout=5, os_thread=os_thread)
    first = conn.request(method, "/files/a", {"Upload-Offset": "0"}, [b"x" * 10])
    second = conn.request(method, "/files/a", {"Upload-Offset": "10"}, [b"y" * 10])
    thread.join(5)
    assert (first.status, first.error) == (204, None)
    assert (second.status, second.error) == (204, None)
    assert received["count"] == 2


def test_refused_connection_is_an_error_sample():
    ex = Connection(f"http://127.0.0.1:{free_port()}", timeout=5).request(
        "POST", "/upload", body=[b"x" * 100_000])
    assert ex.status == 0 and ex.end is None
    assert "ConnectionRefused" in ex.error


def test_os_thread_socket_is_bounded_by_the_kernel_timeout():
    """A server that accepts and never answers: the blocking socket's SO_RCVTIMEO ends the wait
    (an error sample), instead of a thread blocked for good."""
    listener = socket.create_server(("127.0.0.1", 0))
    with listener:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        ex = Connection(url, timeout=0.3, os_thread=True).request("POST", "/upload",
                                                                  body=[b"x" * 1000])
    assert ex.status == 0 and ex.sent is not None and ex.ttfb is None
    assert ex.error and "BlockingIOError" in ex.error


@pytest.mark.parametrize("os_thread", [False, True])
def test_interim_answers_are_skipped_to_the_final_one(os_thread):
    """103 Early Hints and an unasked-for 100 Continue, in separate segments and in one: the
    final answer's status, headers and body are what the exchange holds."""
    for pieces in ([b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n",
                    b"HTTP/1.1 100 Continue\r\n\r\n",
                    b"HTTP/1.1 201 Created\r\nX-Final: yes\r\nContent-Length: 2\r\n\r\nok"],
                   [b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nX-Final: yes\r\n"
                    b"Content-Length: 2\r\n\r\nok"]):
        url, thread = serve_once(pieces, {})
        ex = Connection(url, timeout=10, os_thread=os_thread).request("POST", "/u", {}, [b"x"])
        thread.join(5)
        assert (ex.status, ex.body, ex.error) == (201, b"ok", None)
        assert ex.headers["x-final"] == "yes" and "link" not in ex.headers


def test_expect_continue_without_an_answer_sends_the_body_after_the_wait():
    """A server that never says 100 (http.server's default): the body goes after the wait,
    which is timed as its own phase."""
    received = {}
    url, thread = serve_once([b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"], received)
    ex = Connection(url, timeout=10).request("POST", "/u", {}, [b"abc"], expect_continue=0.2)
    thread.join(5)
    assert ex.status == 201 and received["body"] == b"abc"
    assert b"Expect: 100-continue" in received["head"]
    assert 0.2 <= ex.continue_wait < 1.0 and ex.unsent is None
