"""A tus 1.0 upload the way mainstream clients do it (tus-js-client's `lib/upload.ts`).

- Creation: `POST` with `Upload-Length` and `Upload-Metadata` (`filename`, `filetype`: some
  servers, tuspyserver among them, refuse a `HEAD` on an upload created without them).
- Chunks: `PATCH` at `Upload-Offset`; a fraction of them is cut mid-chunk (`drop_rate`: the
  connection hung up after half the chunk), the failure a resumable upload exists for.
- Retry like tus-js-client: after a cut, a connection error, a `409`, a `423` or any status
  that is not a 4xx, wait `delays[attempt]` (its default: 0, 1, 3, 5 s), ask `HEAD` for the
  `Upload-Offset` the server holds, and go on from there. The attempt counter starts again
  once the offset has moved since the last retry; past the last delay the upload fails.
  (tuspy, the Python client, retries only if asked: `retries=0`, `retry_delay=30` s.)

Counted per upload: drops (cuts injected), retries (each wait + HEAD), resumes (failures
recovered from), bytes sent twice (body bytes sent beyond the upload's size: what cut or
refused PATCHes carried that the server did not keep) and the time to resume (from a failure
to the start of the next PATCH the server took).

Nothing of gevent or Locust in here: it runs in a closed-loop user's OS thread too.
"""

from __future__ import annotations

import base64
import random
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from loadtests.http import Connection, Exchange
from loadtests.payload import Body

TUS = {"Tus-Resumable": "1.0.0"}
CHUNK_TYPE = {"Content-Type": "application/offset+octet-stream"}


def metadata(filename: str, filetype: str = "application/octet-stream") -> str:
    """The Upload-Metadata header: comma-separated `key base64(value)` pairs."""
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}"
                    for key, value in (("filename", filename), ("filetype", filetype)))


def location_path(location: str, base: str) -> str:
    """A tus Location may be absolute or relative to the creation endpoint."""
    parts = urlsplit(location)
    if parts.scheme:
        return parts.path
    return location if location.startswith("/") else base.rstrip("/") + "/" + location


def retryable(ex: Exchange) -> bool:
    """tus-js-client's defaultOnShouldRetry: a connection error, or not a 4xx (409 and 423
    excepted: a conflict on the offset, the upload locked)."""
    return not ex.status or not 400 <= ex.status < 500 or ex.status in (409, 423)


@dataclass
class TusOptions:
    creation_path: str
    headers: dict          # Tus-Resumable + the user's (auth)
    chunk: int
    drop_rate: float = 0.0
    delays: tuple[float, ...] = (0.0, 1.0, 3.0, 5.0)


class TusUpload:
    """One upload's state: where it stands and what the failures cost."""

    def __init__(self, conn: Connection, opts: TusOptions, body: Body, rng=random):
        self.conn, self.opts, self.body, self.rng = conn, opts, body, rng
        self.offset = 0
        self.attempt = 0
        self.offset_before_retry = 0
        self.drops = self.retries = self.resumes = self.sent = 0
        self.recovery = 0.0
        self.failed_at: float | None = None
        self.last: Exchange | None = None

    def run(self, filename: str, start: float | None = None) -> tuple[Exchange, dict, dict]:
        """(the upload as one exchange, {"id"}, the counts for the sample)."""
        created = self.conn.request("POST", self.opts.creation_path, {
            **self.opts.headers, "Upload-Length": str(self.body.size),
            "Upload-Metadata": metadata(filename)}, start=start)
        if created.status != 201 or "location" not in created.headers:
            return created, {}, {}
        path = location_path(created.headers["location"], self.opts.creation_path)
        self.last = created
        stop = self._transfer(path)
        last = self.last
        done = Exchange(start=created.start, sent=last.sent, ttfb=last.ttfb, end=last.end,
                        status=last.status, head=last.head, error=last.error,
                        connecting=created.connecting, tls_handshaking=created.tls_handshaking)
        if self.offset != self.body.size:
            done.status = 0 if retryable(last) else last.status
            done.error = f"tus: {stop} at offset {self.offset} of {self.body.size}"
        counts = {"drops": self.drops, "retries": self.retries, "resumes": self.resumes,
                  "resent": max(0, self.sent - self.offset), "recovery": self.recovery,
                  "server_bytes": self.offset}
        return done, {"id": path.rstrip("/").rsplit("/", 1)[-1]}, counts

    def _transfer(self, path: str) -> str:
        """PATCH until the whole body is there; the reason it stopped otherwise."""
        size = self.body.size
        while self.offset < size:
            n = min(self.opts.chunk, size - self.offset)
            parts = slice_parts(self.body.parts, self.offset, n)
            headers = {**self.opts.headers, **CHUNK_TYPE, "Upload-Offset": str(self.offset)}
            if self.rng.random() < self.opts.drop_rate:
                self.conn.abandon("PATCH", path, headers, parts, n, cut_at=n // 2)
                self.drops += 1
                self.sent += n // 2
            else:
                ex = self.conn.request("PATCH", path, headers, parts, n)
                self.last = ex
                self.sent += n if ex.sent is not None else 0
                if ex.status == 204 and "upload-offset" in ex.headers:
                    if self.failed_at is not None:
                        self.recovery += ex.start - self.failed_at
                        self.resumes += 1
                        self.failed_at = None
                    self.offset = int(ex.headers["upload-offset"])
                    continue
                if not retryable(ex):
                    return f"PATCH answered {ex.status}"
            if self.failed_at is None:
                self.failed_at = time.time()
            stop = self._resume(path)
            if stop:
                return stop
        return ""

    def _resume(self, path: str) -> str:
        """Wait, HEAD, take the server's offset; the reason to give up, or ''."""
        while True:
            if self.offset > self.offset_before_retry:
                self.attempt = 0  # progress since the last retry: the delays start over
            if self.attempt >= len(self.opts.delays):
                return f"gave up after {self.retries} retries"
            self.conn.sleep(self.opts.delays[self.attempt])
            self.attempt += 1
            self.retries += 1
            self.offset_before_retry = self.offset
            head = self.conn.request("HEAD", path, self.opts.headers)
            self.last = head
            if head.status == 200 and "upload-offset" in head.headers:
                self.offset = int(head.headers["upload-offset"])
                return ""
            if not retryable(head):
                return f"HEAD answered {head.status}"


def slice_parts(parts, offset: int, n: int) -> list:
    """memoryviews covering bytes [offset, offset+n) of a body made of parts (no copies)."""
    out = []
    for part in parts:
        view = memoryview(part)
        if offset >= len(view):
            offset -= len(view)
            continue
        take = view[offset:offset + n]
        out.append(take)
        n -= len(take)
        offset = 0
        if n == 0:
            break
    return out
