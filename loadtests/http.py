"""A lean HTTP/1.1 client that times each phase of a request the way k6 defines them.

Locust's clients time a request as one block; the report needs four instants per upload:
`start`, `sent` (the last body byte handed to the socket), `ttfb` (first response byte) and
`end`. So the request side is written straight to a socket (bodies go out as memoryviews: no
copies) and the response is parsed with httptools (llhttp, the parser of Node and uvicorn).
Under Locust the socket module is gevent's, so this is cooperative; outside it (verify) it is
plain blocking I/O. `os_thread=True` is for a connection used only from an OS thread of its own
(the closed-loop users, see scenarios.py): the OS's blocking sockets, whatever gevent patched.

HTTPS: the standard `ssl` module through memory BIOs (`ssl.SSLObject`, see `TLSStream`), so
one implementation serves gevent's sockets and the OS thread's C-level ones alike; SNI and
host name checks as `ssl.create_default_context` does them. On a new connection the TCP
connect and the TLS handshake are timed as their own phases (k6's `connecting` and
`tls_handshaking`); a reused connection has neither.

Interim answers (1xx but 101: `100 Continue`, `103 Early Hints`) are skipped to the final one.
`expect_continue` sends `Expect: 100-continue` and the head alone, waits for the 100 (curl: up
to 1 s, then the body goes anyway) and times that wait as its own phase (`continue_wait`); a
final answer instead (401, 413, 417) means the body is never sent (`unsent` bytes). `chunked`
sends the body with `Transfer-Encoding: chunked` in pieces of that size; `watch` sends in
pieces and stops when an answer arrives mid-body, as curl and browsers do with an early 413.

Known limit: `sent` is when the kernel accepted the last byte. Up to a socket buffer's worth
(a few hundred KB on loopback) may still be in flight, so for small bodies part of the real
sending time shows up as waiting.
"""

from __future__ import annotations

import _socket
import functools
import ipaddress
import re
import select
import socket
import ssl
import struct
import time
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlsplit

import httptools
from gevent.monkey import get_original

os_sleep = get_original("time", "sleep")  # the OS's, even after gevent's patch_all

SMALL_BODY = 64 * 1024  # below this, one joined buffer (one syscall) beats zero-copy
IDLE_REUSE_S = 2.0      # don't reuse a keep-alive socket idle longer than servers keep it
PACE_CHUNK = 64 * 1024
OS_THREAD_IDLE_S = 120.0  # os_thread sockets: a call without progress this long fails
TLS_WRITE = 256 * 1024    # plaintext encrypted per write: bounds the ciphertext held at once
WATCH_CHUNK = 64 * 1024   # watched sends: bytes between two looks for an early answer


def is_2xx(status: int | None) -> bool:
    """A success answer: any 2xx (the one test of it; --expect narrows it in RequestSpec)."""
    return status is not None and 200 <= status < 300


@dataclass
class Exchange:
    """One request/response with its raw timestamps (time.time(), seconds)."""
    start: float
    sent: float | None = None
    ttfb: float | None = None
    end: float | None = None
    status: int = 0
    head: bytes = b""   # the response's status line and headers, as received
    body: bytes = b""
    error: str | None = None
    connecting: float | None = None       # seconds: TCP connect (new connections only)
    tls_handshaking: float | None = None  # seconds: TLS handshake (new https connections)
    continue_wait: float | None = None    # seconds: head sent -> 100 Continue (or its timeout)
    unsent: int | None = None             # body bytes never sent: the server answered first

    @cached_property
    def headers(self) -> dict[str, str]:
        """Names lower-cased. Split on first use: the upload loop never asks."""
        lines = self.head.decode("latin-1").split("\r\n")[1:]
        return {name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in lines)}


class _Response:
    """httptools callbacks collecting one response. Headers are not taken one callback each
    (a Python call per header line): the head's raw bytes are kept, for Exchange.headers."""

    def __init__(self):
        self.head: list[bytes] = []   # received bytes until the end of the headers
        self.body: list[bytes] = []
        self.complete = False
        self.headers_done = False
        self.interim = 0              # 1xx answers skipped before the final one
        self.continued = False        # one of them was 100 Continue
        self.parser: httptools.HttpResponseParser | None = None

    def on_headers_complete(self):
        self.headers_done = True

    def on_body(self, body: bytes):
        self.body.append(body)

    def on_message_complete(self):
        status = self.parser.get_status_code()
        if 100 <= status < 200 and status != 101:  # interim: the final answer follows
            self.interim += 1
            self.continued = self.continued or status == 100
            self.headers_done = False
            return
        self.complete = True

    def raw_head(self) -> bytes:
        raw = b"".join(self.head)
        start = 0
        for _ in range(self.interim):  # the final answer's head, after the interim ones
            start = raw.find(b"\r\n\r\n", start) + 4
        return raw[start:raw.find(b"\r\n\r\n", start)]


class Connection:
    """One keep-alive connection to host:port (reopened when the server closes it)."""

    def __init__(self, base_url: str, timeout: float | None = None, os_thread: bool = False,
                 tls: ssl.SSLContext | None = None):
        """`timeout` bounds each blocking socket call; None (the default under Locust) leaves
        the bound to the run's own clock (--run-time, then --stop-timeout ends every user):
        under gevent a socket timeout arms a timer for every blocking call, ~8 % of the
        client's CPU per upload. `os_thread`: plain blocking sockets, bounded by the kernel
        (SO_SNDTIMEO/SO_RCVTIMEO, `timeout` or OS_THREAD_IDLE_S), which costs no syscall.
        `tls`: the context for an https:// URL (default: verify against the system store)."""
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"only http:// and https:// URLs are supported, got {base_url!r}")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.netloc = parts.netloc.rpartition("@")[2] or self.host  # the Host header, as given
        self.tls = (tls or tls_context()) if parts.scheme == "https" else None
        self.timeout = timeout
        self.os_thread = os_thread
        idle = timeout or OS_THREAD_IDLE_S
        self._kernel_timeout = struct.pack("ll", int(idle), int(idle % 1 * 1e6))
        self.sleep = os_sleep if os_thread else time.sleep
        self.address = None   # resolved on the first connect: a bad name is an error sample
        self.family = socket.AF_INET
        self.loopback = False
        self.sock: socket.socket | TLSStream | None = None
        self.last_used = 0.0

    def _resolve(self) -> None:
        """Once per connection object: gevent's resolver hands every getaddrinfo() to a thread,
        and servers that close after each response (gunicorn sync) make us connect per request."""
        self.family, _, _, _, self.address = socket.getaddrinfo(
            self.host, self.port, type=socket.SOCK_STREAM)[0]
        try:
            self.loopback = ipaddress.ip_address(self.address[0]).is_loopback
        except ValueError:
            self.loopback = False

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                body: list | tuple = (), length: int | None = None,
                bandwidth: float | None = None, start: float | None = None,
                expect_continue: float = 0.0, chunked: int = 0, watch: bool = False) -> Exchange:
        """Send a request whose body is `body` (bytes/memoryviews) and read the response.

        `bandwidth` (bytes/s) paces the body like a slow client; `start` lets open-loop callers
        date the request from when it was meant to start. `expect_continue` (seconds to wait
        for 100), `chunked` (piece size) and `watch`: see the module's docstring.
        """
        length = sum(len(p) for p in body) if length is None else length
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.netloc}\r\n"
        for name, value in (headers or {}).items():
            head += f"{name}: {value}\r\n"
        if chunked:
            body, length = chunk_body(body, chunked)
            head += "Transfer-Encoding: chunked\r\n"
        elif body or method in ("POST", "PUT", "PATCH"):
            head += f"Content-Length: {length}\r\n"
        if expect_continue:
            head += "Expect: 100-continue\r\n"
        head_bytes = (head + "\r\n").encode("latin-1")

        ex = Exchange(start=time.time() if start is None else start)
        response = None
        try:
            if self.sock is None or time.monotonic() - self.last_used > IDLE_REUSE_S:
                self.close()
                self.sock = self._connect(ex)
            if expect_continue:
                response = self._await_continue(ex, head_bytes, expect_continue)
                head_bytes = b""
            try:
                if response is not None and response.headers_done:
                    ex.unsent = length  # a final answer instead of 100: the body stays here
                elif watch:
                    ex.unsent = self._send_watching(head_bytes, body) or None
                    ex.sent = time.time() if ex.unsent is None else None
                else:
                    self._send(head_bytes, body, length, bandwidth)
                    ex.sent = time.time()
            except OSError as exc:
                # The server may have answered early (413) and closed: read that answer.
                ex.error = f"send: {type(exc).__name__}"
            self._receive(ex, head_only=method == "HEAD", response=response)
        except (OSError, httptools.HttpParserError) as exc:
            ex.error = ex.error or f"{type(exc).__name__}: {exc}"
            self.close()
        self.last_used = time.monotonic()
        if ex.status and ex.end is not None:
            ex.error = None  # a server may answer early (413) and stop reading: status says it
        if ex.error or ex.unsent:
            self.close()  # (a "Connection: close" answer was closed by _receive already)
        return ex

    def _await_continue(self, ex: Exchange, head: bytes, wait: float) -> _Response:
        """Send the head alone and wait up to `wait` s for `100 Continue` (or a final answer,
        whose head is then parsed). After the wait the body goes anyway, as curl does."""
        self.sock.sendall(head)
        began = time.time()
        response = _Response()
        parser = response.parser = httptools.HttpResponseParser(response)
        raw = self.sock.sock if isinstance(self.sock, TLSStream) else self.sock
        saved = raw.gettimeout()
        deadline = time.monotonic() + wait
        try:
            while not (response.continued or response.headers_done):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                raw.settimeout(left)
                try:
                    data = self.sock.recv(65536)
                except (TimeoutError, BlockingIOError):
                    break
                if not data:
                    raise ConnectionResetError("connection closed while waiting for 100 Continue")
                response.head.append(data)
                parser.feed_data(data)
        finally:
            raw.settimeout(saved)
        ex.continue_wait = time.time() - began
        if response.headers_done:
            ex.ttfb = time.time()
        return response

    def _send_watching(self, head: bytes, body) -> int:
        """Send in WATCH_CHUNK pieces, looking for an answer before each: the body bytes left
        unsent when one arrived (0: all sent)."""
        raw = self.sock.sock if isinstance(self.sock, TLSStream) else self.sock
        readable = get_original("select", "select") if self.os_thread else select.select
        self.sock.sendall(head)
        views = [memoryview(p).cast("B") for p in body if len(p)]
        left = sum(len(v) for v in views)
        for view in views:
            for offset in range(0, len(view), WATCH_CHUNK):
                if readable([raw], [], [], 0)[0]:
                    return left
                piece = view[offset:offset + WATCH_CHUNK]
                self.sock.sendall(piece)
                left -= len(piece)
        return 0

    def _connect(self, ex: Exchange | None = None):
        """A new connection; its TCP connect and TLS handshake timed into `ex`."""
        if self.address is None:
            self._resolve()
        began = time.time()
        if self.os_thread:
            sock = self._connect_blocking()
        elif self.loopback and self.tls is None:
            sock = self._connect_early()
        else:
            sock = self._connect_cooperative()
        connected = time.time()
        if self.tls is not None:
            try:
                sock = TLSStream(sock, self.tls, self.host)
            except BaseException:
                sock.close()
                raise
        if ex is not None:
            ex.connecting = connected - began
            if self.tls is not None:
                ex.tls_handshaking = time.time() - connected
        return sock

    def _connect_early(self) -> socket.socket:
        """Plain HTTP on loopback: connect without waiting for the handshake; the first send
        waits for it if needed. Under gevent a wait here hands the CPU to other users while a
        server worker may already have accepted this connection and sits idle until its request
        arrives (on loopback the handshake is done when connect() returns). A bare gevent loop
        against a gunicorn sink spent ~25 us less CPU per request this way. Elsewhere the
        connect is waited for, so that `connecting` is the real TCP time."""
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

    def _connect_cooperative(self) -> socket.socket:
        sock = socket.socket(self.family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(self.timeout)
            sock.connect(self.address)
        except OSError:
            sock.close()
            raise
        return sock

    def _connect_blocking(self) -> socket.socket:
        """An OS socket in blocking mode: one sendmsg() hands a whole body to the kernel and
        one recv() waits for the answer, with no readiness polling in between. Python's own
        socket timeouts would poll() before every call, so the bound is set in the kernel.
        (The C-level _socket.socket: socket.socket adds a Python __init__ and close().)"""
        sock = _socket.socket(self.family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, self._kernel_timeout)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, self._kernel_timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.connect(self.address)
        except OSError:
            sock.close()
            raise
        return sock

    def abandon(self, method: str, path: str, headers: dict[str, str], body, length: int,
                cut_at: int) -> None:
        """Promise `length` body bytes, send `cut_at` of them, hang up: a dropped connection."""
        head = [f"{method} {path} HTTP/1.1".encode(), f"Host: {self.netloc}".encode(),
                *(f"{k}: {v}".encode("latin-1") for k, v in headers.items()),
                b"Content-Length: %d" % length]
        try:
            sock = self._connect()
        except OSError:
            return
        try:
            sock.sendall(b"\r\n".join(head) + b"\r\n\r\n")
            for part in body:
                view = memoryview(part)[:cut_at]
                sock.sendall(view)
                cut_at -= len(view)
                if cut_at <= 0:
                    break
        except OSError:
            pass
        finally:
            sock.close()

    def _send(self, head: bytes, body, length: int, bandwidth: float | None) -> None:
        sock = self.sock
        if bandwidth:
            sock.sendall(head)
            _paced_send(sock, body, bandwidth, self.sleep)
        elif length <= SMALL_BODY:
            sock.sendall(head + b"".join(body))
        else:
            _send_parts(sock, [head, *body])

    def _receive(self, ex: Exchange, head_only: bool, response: _Response | None = None) -> None:
        """Read the (final) answer; `response`: one already begun (the wait for 100)."""
        if response is None:
            response = _Response()
            response.parser = httptools.HttpResponseParser(response)
        parser = response.parser
        while not (response.complete or (head_only and response.headers_done)):
            data = self.sock.recv(65536)
            if ex.ttfb is None:
                if not data:
                    raise ConnectionResetError("connection closed before any response byte")
                ex.ttfb = time.time()
            if not data:
                ex.head = response.raw_head()
                if response.headers_done and "content-length" not in ex.headers:
                    self.close()
                    break  # body delimited by connection close
                raise ConnectionResetError("connection closed mid-response")
            if not response.headers_done:
                response.head.append(data)
            parser.feed_data(data)
        ex.end = time.time()
        ex.status = parser.get_status_code()
        ex.head = response.raw_head()
        ex.body = b"".join(response.body)
        if not _keeps_alive(parser.get_http_version(), ex.head):
            self.close()


_CONNECTION = re.compile(rb"^connection:(.*)$", re.IGNORECASE | re.MULTILINE)


def _keeps_alive(version: str, head: bytes) -> bool:
    """RFC 9112 9.3, from the Connection header. Not httptools' should_keep_alive(): once a
    message is complete llhttp has reset its flags for the next one, so it reports keep-alive
    for a bodiless answer (204, HEAD) that said "Connection: close"."""
    found = _CONNECTION.search(head)
    tokens = found.group(1).lower() if found else b""
    return b"keep-alive" in tokens if version == "1.0" else b"close" not in tokens


def chunk_body(parts, size: int) -> tuple[list, int]:
    """A body framed for `Transfer-Encoding: chunked` in pieces of `size` bytes (memoryviews
    of the parts between the framing: no copies) and its length on the wire."""
    out: list = []
    for part in parts:
        view = memoryview(part).cast("B")
        for offset in range(0, len(view), size):
            piece = view[offset:offset + size]
            out += (b"%x\r\n" % len(piece), piece, b"\r\n")
    out.append(b"0\r\n\r\n")
    return out, sum(len(p) for p in out)


def _send_parts(sock: socket.socket, parts: list) -> None:
    """Headers and body in one gathered write (sendmsg), resumed after partial writes.
    Measured against a gunicorn sink with 1 MiB bodies: ~25 % more uploads/s than a sendall
    per part, whose lone header segment costs the server an extra wake-up per request.
    Parts are bytes or memoryviews of bytes (len() counts bytes)."""
    views = [p for p in parts if len(p)]
    while views:
        sent = sock.sendmsg(views[:64])
        while sent:
            if sent >= len(views[0]):
                sent -= len(views.pop(0))
            else:
                views[0] = memoryview(views[0])[sent:]
                sent = 0


def _paced_send(sock: socket.socket, body, bandwidth: float, sleep) -> None:
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
                sleep(ahead)


@functools.lru_cache(maxsize=8)
def tls_context(insecure: bool = False, cacert: str | None = None) -> ssl.SSLContext:
    """One context per setting and process (loading a CA store costs milliseconds). Like curl:
    `cacert` replaces the system store; `insecure` skips certificate and host name checks."""
    context = ssl.create_default_context(cafile=cacert)
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    return context


class TLSStream:
    """TLS over any connected socket, through memory BIOs: `ssl.SSLObject` does the protocol,
    the socket only moves bytes. So one code path serves gevent's cooperative sockets and the
    OS thread's C-level `_socket` ones (whose kernel timeouts then bound the handshake too);
    `ssl.SSLSocket` would need a `socket.socket`, and under gevent its patched kind.
    Offers what Connection uses of a socket: sendall, sendmsg, recv, close."""

    def __init__(self, sock, context: ssl.SSLContext, server_hostname: str):
        self.sock = sock
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing,
                                    server_hostname=server_hostname)
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                data = sock.recv(65536)
                if not data:
                    raise ConnectionResetError("connection closed during the TLS handshake")
                self.incoming.write(data)
        self._flush()

    def _flush(self) -> None:
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def sendall(self, data) -> None:
        view = memoryview(data).cast("B")
        for offset in range(0, len(view), TLS_WRITE):
            self.tls.write(view[offset:offset + TLS_WRITE])
            self._flush()

    def sendmsg(self, parts) -> int:
        for part in parts:
            self.sendall(part)
        return sum(len(p) for p in parts)

    def recv(self, size: int) -> bytes:
        while True:
            try:
                data = self.tls.read(size)
            except ssl.SSLWantReadError:
                received = self.sock.recv(65536)
                if not received:
                    return b""  # closed without close_notify: end of stream, as plain TCP
                self.incoming.write(received)
                continue
            except ssl.SSLZeroReturnError:
                return b""
            if self.outgoing.pending:
                self._flush()
            return data

    def close(self) -> None:
        self.sock.close()
