"""A lean HTTP/1.1 client that times each phase of a request the way k6 defines them.

Locust's clients time a request as one block; the report needs four instants per upload:
`start`, `sent` (the last body byte handed to the socket), `ttfb` (first response byte) and
`end`. So the request side is written straight to a socket (bodies go out as memoryviews: no
copies) and the response is parsed with httptools (llhttp, the parser of Node and uvicorn).
Under Locust the socket module is gevent's, so this is cooperative; outside it (verify) it is
plain blocking I/O.

Known limit: `sent` is when the kernel accepted the last byte. Up to a socket buffer's worth
(a few hundred KB on loopback) may still be in flight, so for small bodies part of the real
sending time shows up as waiting.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httptools

SMALL_BODY = 64 * 1024  # below this, one joined buffer (one syscall) beats zero-copy
IDLE_REUSE_S = 2.0      # don't reuse a keep-alive socket idle longer than servers keep it
PACE_CHUNK = 64 * 1024


@dataclass
class Exchange:
    """One request/response with its raw timestamps (time.time(), seconds)."""
    start: float
    sent: float | None = None
    ttfb: float | None = None
    end: float | None = None
    status: int = 0
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None


class _Response:
    """httptools callbacks collecting one response. Headers are not taken one callback each
    (a Python call per header line): the head's raw bytes are kept and split once."""

    def __init__(self):
        self.head: list[bytes] = []   # received bytes until the end of the headers
        self.body: list[bytes] = []
        self.complete = False
        self.headers_done = False

    def on_headers_complete(self):
        self.headers_done = True

    def on_body(self, body: bytes):
        self.body.append(body)

    def on_message_complete(self):
        self.complete = True

    def headers(self) -> dict[str, str]:
        raw = b"".join(self.head)
        lines = raw[:raw.find(b"\r\n\r\n")].decode("latin-1").split("\r\n")[1:]
        return {name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in lines)}


class Connection:
    """One keep-alive connection to host:port (reopened when the server closes it)."""

    def __init__(self, base_url: str, timeout: float | None = None):
        """`timeout` bounds each blocking socket call; None (the default under Locust) leaves
        the bound to the run's own clock (--run-time, then --stop-timeout ends every user):
        under gevent a socket timeout arms a timer for every blocking call, ~8 % of the
        client's CPU per upload."""
        parts = urlsplit(base_url)
        if parts.scheme != "http":
            raise ValueError(f"only http:// URLs are supported, got {base_url!r}")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.host_header = f"{self.host}:{self.port}".encode()
        self.timeout = timeout
        # Resolve once: gevent's resolver hands every getaddrinfo() to a thread, and servers
        # that close after each response (gunicorn sync) make us connect per request.
        family, _, _, _, self.address = socket.getaddrinfo(
            self.host, self.port, type=socket.SOCK_STREAM)[0]
        self.family = family
        self.sock: socket.socket | None = None
        self.last_used = 0.0

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                body: list | tuple = (), length: int | None = None,
                bandwidth: float | None = None, start: float | None = None) -> Exchange:
        """Send a request whose body is `body` (bytes/memoryviews) and read the response.

        `bandwidth` (bytes/s) paces the body like a slow client; `start` lets open-loop callers
        date the request from when it was meant to start.
        """
        length = sum(len(p) for p in body) if length is None else length
        head = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + self.host_header]
        head += [f"{k}: {v}".encode("latin-1") for k, v in (headers or {}).items()]
        if body or method in ("POST", "PUT", "PATCH"):
            head.append(b"Content-Length: %d" % length)
        head_bytes = b"\r\n".join(head) + b"\r\n\r\n"

        ex = Exchange(start=time.time() if start is None else start)
        try:
            if self.sock is None or time.monotonic() - self.last_used > IDLE_REUSE_S:
                self.close()
                self.sock = self._connect()
            try:
                self._send(head_bytes, body, length, bandwidth)
                ex.sent = time.time()
            except OSError as exc:
                # The server may have answered early (413) and closed: read that answer.
                ex.error = f"send: {type(exc).__name__}"
            self._receive(ex, head_only=method == "HEAD")
        except (OSError, httptools.HttpParserError) as exc:
            ex.error = ex.error or f"{type(exc).__name__}: {exc}"
            self.close()
        self.last_used = time.monotonic()
        if ex.status and ex.end is not None:
            ex.error = None  # a server may answer early (413) and stop reading: status says it
        if ex.error:
            self.close()  # (a "Connection: close" answer was closed by _receive already)
        return ex

    def _connect(self) -> socket.socket:
        """Connect without waiting for the handshake: the first send waits for it if needed.
        Under gevent a wait here hands the CPU to other users while a server worker may
        already have accepted this connection and sits idle until its request arrives (on
        loopback the handshake is done when connect() returns). A bare gevent loop against a
        gunicorn sink spent ~25 us less CPU per request this way."""
        sock = socket.socket(self.family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
            try:
                sock.connect(self.address)
            except BlockingIOError:
                pass  # EINPROGRESS: a refused connection shows up at the first send
            sock.settimeout(self.timeout)
        except OSError:
            sock.close()
            raise
        return sock

    def abandon(self, method: str, path: str, headers: dict[str, str], body, length: int,
                cut_at: int) -> None:
        """Promise `length` body bytes, send `cut_at` of them, hang up: a dropped connection."""
        head = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + self.host_header,
                *(f"{k}: {v}".encode("latin-1") for k, v in headers.items()),
                b"Content-Length: %d" % length]
        try:
            with self._connect() as sock:
                sock.sendall(b"\r\n".join(head) + b"\r\n\r\n")
                for part in body:
                    view = memoryview(part)[:cut_at]
                    sock.sendall(view)
                    cut_at -= len(view)
                    if cut_at <= 0:
                        break
        except OSError:
            pass

    def _send(self, head: bytes, body, length: int, bandwidth: float | None) -> None:
        sock = self.sock
        if bandwidth:
            sock.sendall(head)
            _paced_send(sock, body, bandwidth)
        elif length <= SMALL_BODY:
            sock.sendall(head + b"".join(body))
        else:
            _send_parts(sock, [head, *body])

    def _receive(self, ex: Exchange, head_only: bool) -> None:
        response = _Response()
        parser = httptools.HttpResponseParser(response)
        while not (response.complete or (head_only and response.headers_done)):
            data = self.sock.recv(256 * 1024)
            if ex.ttfb is None:
                if not data:
                    raise ConnectionResetError("connection closed before any response byte")
                ex.ttfb = time.time()
            if not data:
                if response.headers_done and "content-length" not in response.headers():
                    self.close()
                    break  # body delimited by connection close
                raise ConnectionResetError("connection closed mid-response")
            if not response.headers_done:
                response.head.append(data)
            parser.feed_data(data)
        ex.end = time.time()
        ex.status = parser.get_status_code()
        ex.headers = response.headers()
        ex.body = b"".join(response.body)
        if not _keeps_alive(parser.get_http_version(), ex.headers):
            self.close()


def _keeps_alive(version: str, headers: dict[str, str]) -> bool:
    """RFC 9112 9.3, from the headers. Not httptools' should_keep_alive(): once a message is
    complete llhttp has reset its flags for the next one, so it reports keep-alive for a
    bodiless answer (204, HEAD) that said "Connection: close"."""
    tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
    return "keep-alive" in tokens if version == "1.0" else "close" not in tokens


def _send_parts(sock: socket.socket, parts: list) -> None:
    """Headers and body in one gathered write (sendmsg), resumed after partial writes.
    Measured against a gunicorn sink with 1 MiB bodies: ~25 % more uploads/s than a sendall
    per part, whose lone header segment costs the server an extra wake-up per request."""
    views = [memoryview(p).cast("B") for p in parts if len(p)]
    while views:
        sent = sock.sendmsg(views[:64])
        while sent:
            if sent >= len(views[0]):
                sent -= len(views.pop(0))
            else:
                views[0] = views[0][sent:]
                sent = 0


def _paced_send(sock: socket.socket, body, bandwidth: float) -> None:
    began = time.monotonic()
    sent = 0
    for part in body:
        view = memoryview(part)
        for offset in range(0, len(view), PACE_CHUNK):
            chunk = view[offset:offset + PACE_CHUNK]
            sock.sendall(chunk)
            sent += len(chunk)
            ahead = sent / bandwidth - (time.monotonic() - began)
            if ahead > 0:
                time.sleep(ahead)
